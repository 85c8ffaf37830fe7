//! Element-wise arithmetic between tensors (with broadcasting) and with scalars.

use std::ops::{Add, Div, Mul, Neg, Sub};

use crate::element::Element;
use crate::kernels::{broadcast, elementwise};
use crate::tensor::Tensor;

fn binary_op<T: Element>(
    a: &Tensor<T>,
    b: &Tensor<T>,
    name: &'static str,
    f: impl Fn(T, T) -> T + Sync,
    backward: impl Fn(&Tensor<T>, &Tensor<T>, &Tensor<T>, &[bool]) -> [Option<Tensor<T>>; 2]
        + Send
        + Sync
        + 'static,
) -> Tensor<T> {
    let (data, shape) = broadcast::binary(a.data(), a.shape(), b.data(), b.shape(), f);
    let (a2, b2) = (a.clone(), b.clone());
    Tensor::from_op(
        data,
        shape,
        name,
        vec![a.clone(), b.clone()],
        move |_, g, wants| {
            let [ga, gb] = backward(&a2, &b2, g, wants);
            vec![
                ga.map(|t| t.sum_to(a2.shape())),
                gb.map(|t| t.sum_to(b2.shape())),
            ]
        },
    )
}

impl<T: Element> Tensor<T> {
    /// `self + other`, broadcasting.
    pub fn add(&self, other: &Tensor<T>) -> Tensor<T> {
        binary_op(
            self,
            other,
            "add",
            |x, y| x + y,
            |_, _, g, w| [w[0].then(|| g.clone()), w[1].then(|| g.clone())],
        )
    }

    /// `self - other`, broadcasting.
    pub fn sub(&self, other: &Tensor<T>) -> Tensor<T> {
        binary_op(
            self,
            other,
            "sub",
            |x, y| x - y,
            |_, _, g, w| [w[0].then(|| g.clone()), w[1].then(|| g.neg())],
        )
    }

    /// `self · other` element-wise, broadcasting.
    pub fn mul(&self, other: &Tensor<T>) -> Tensor<T> {
        binary_op(
            self,
            other,
            "mul",
            |x, y| x * y,
            |a, b, g, w| [w[0].then(|| g.mul(b)), w[1].then(|| g.mul(a))],
        )
    }

    /// `self / other` element-wise, broadcasting.
    pub fn div(&self, other: &Tensor<T>) -> Tensor<T> {
        binary_op(
            self,
            other,
            "div",
            |x, y| x / y,
            |a, b, g, w| {
                // d(a/b)/da = 1/b, d(a/b)/db = -a/b²
                [
                    w[0].then(|| g.div(b)),
                    w[1].then(|| g.mul(a).div(&b.square()).neg()),
                ]
            },
        )
    }

    /// `-self`.
    pub fn neg(&self) -> Tensor<T> {
        let data = elementwise::map(self.data(), |x| -x);
        Tensor::from_op(
            data,
            self.shape().to_vec(),
            "neg",
            vec![self.clone()],
            |_, g, _| vec![Some(g.neg())],
        )
    }

    /// `self + c`.
    pub fn add_scalar(&self, c: T) -> Tensor<T> {
        let data = elementwise::map(self.data(), |x| x + c);
        Tensor::from_op(
            data,
            self.shape().to_vec(),
            "add_scalar",
            vec![self.clone()],
            |_, g, _| vec![Some(g.clone())],
        )
    }

    /// `self · c`.
    pub fn mul_scalar(&self, c: T) -> Tensor<T> {
        let data = elementwise::map(self.data(), |x| x * c);
        Tensor::from_op(
            data,
            self.shape().to_vec(),
            "mul_scalar",
            vec![self.clone()],
            move |_, g, _| vec![Some(g.mul_scalar(c))],
        )
    }

    /// `c - self`.
    pub fn rsub_scalar(&self, c: T) -> Tensor<T> {
        self.neg().add_scalar(c)
    }
}

macro_rules! operator {
    ($trait:ident, $method:ident, $op:ident) => {
        impl<T: Element> $trait<&Tensor<T>> for &Tensor<T> {
            type Output = Tensor<T>;
            fn $method(self, rhs: &Tensor<T>) -> Tensor<T> {
                Tensor::$op(self, rhs)
            }
        }
        impl<T: Element> $trait<Tensor<T>> for Tensor<T> {
            type Output = Tensor<T>;
            fn $method(self, rhs: Tensor<T>) -> Tensor<T> {
                Tensor::$op(&self, &rhs)
            }
        }
        impl<T: Element> $trait<&Tensor<T>> for Tensor<T> {
            type Output = Tensor<T>;
            fn $method(self, rhs: &Tensor<T>) -> Tensor<T> {
                Tensor::$op(&self, rhs)
            }
        }
        impl<T: Element> $trait<Tensor<T>> for &Tensor<T> {
            type Output = Tensor<T>;
            fn $method(self, rhs: Tensor<T>) -> Tensor<T> {
                Tensor::$op(self, &rhs)
            }
        }
    };
}

operator!(Add, add, add);
operator!(Sub, sub, sub);
operator!(Mul, mul, mul);
operator!(Div, div, div);

impl<T: Element> Neg for &Tensor<T> {
    type Output = Tensor<T>;
    fn neg(self) -> Tensor<T> {
        Tensor::neg(self)
    }
}

impl<T: Element> Neg for Tensor<T> {
    type Output = Tensor<T>;
    fn neg(self) -> Tensor<T> {
        Tensor::neg(&self)
    }
}
