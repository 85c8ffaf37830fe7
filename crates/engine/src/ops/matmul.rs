//! Matrix products of 2-d tensors, with either operand read transposed for free.
//!
//! For C = op(A)·op(B), the gradients are again such products:
//! dA = G·op(B)ᵀ (or its transpose when A was read transposed), dB = op(A)ᵀ·G (likewise).

use crate::element::Element;
use crate::kernels::matmul::{gemm, MatRef};
use crate::tensor::Tensor;

fn view<T: Element>(t: &Tensor<T>, transposed: bool) -> MatRef<'_, T> {
    let v = MatRef::new(t.data(), t.dim(0), t.dim(1));
    if transposed {
        v.t()
    } else {
        v
    }
}

impl<T: Element> Tensor<T> {
    /// `self · other` for 2-d tensors: `[m, k] · [k, n] → [m, n]`.
    pub fn matmul(&self, other: &Tensor<T>) -> Tensor<T> {
        self.mm(other, false, false)
    }

    /// `self · otherᵀ`: `[m, k] · [n, k]ᵀ → [m, n]`, the product of a linear layer.
    pub fn matmul_t(&self, other: &Tensor<T>) -> Tensor<T> {
        self.mm(other, false, true)
    }

    /// `op(self) · op(other)` where `op` transposes when its flag is set.
    pub fn mm(&self, other: &Tensor<T>, ta: bool, tb: bool) -> Tensor<T> {
        assert!(
            self.ndim() == 2 && other.ndim() == 2,
            "matmul needs 2-d tensors, got {:?} and {:?}",
            self.shape(),
            other.shape()
        );
        let (a, b) = (view(self, ta), view(other, tb));
        let (m, k) = a.dims();
        let (k2, n) = b.dims();
        assert_eq!(
            k,
            k2,
            "matmul shapes {:?} and {:?} do not chain",
            self.shape(),
            other.shape()
        );
        let data = gemm(a, b);
        let (a2, b2) = (self.clone(), other.clone());
        Tensor::from_op(
            data,
            vec![m, n],
            "matmul",
            vec![self.clone(), other.clone()],
            {
                move |_, g, wants| {
                    let ga = wants[0].then(|| {
                        if ta {
                            b2.mm(g, tb, true)
                        } else {
                            g.mm(&b2, false, !tb)
                        }
                    });
                    let gb = wants[1].then(|| {
                        if tb {
                            g.mm(&a2, true, ta)
                        } else {
                            a2.mm(g, !ta, false)
                        }
                    });
                    vec![ga, gb]
                }
            },
        )
    }
}
