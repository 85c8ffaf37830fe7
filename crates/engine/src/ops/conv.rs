//! Convolution and transposed convolution (NCHW), with weight gradients.
//!
//! Three linear ops close under differentiation. With `conv(x, w)` the forward convolution,
//! `conv_input_grad(dy, w)` its adjoint in x (the transposed convolution) and
//! `conv_weight_grad(x, dy)` its adjoint in w, every gradient of each is again one of them,
//! which gives second derivatives (the gradient penalty's double backward) for free.

use crate::element::Element;
use crate::kernels::conv::{self, ConvGeom};
use crate::tensor::Tensor;

fn geom_of<T: Element>(x: &Tensor<T>, w: &Tensor<T>, stride: usize, pad: usize) -> ConvGeom {
    assert_eq!(
        x.ndim(),
        4,
        "convolution input must be [n, c, h, w], got {:?}",
        x.shape()
    );
    assert_eq!(
        w.ndim(),
        4,
        "convolution weight must be 4-d, got {:?}",
        w.shape()
    );
    assert_eq!(
        x.dim(1),
        w.dim(1),
        "input has {} channels, weight {:?} expects {}",
        x.dim(1),
        w.shape(),
        w.dim(1)
    );
    ConvGeom::new(
        x.dim(0),
        x.dim(1),
        x.dim(2),
        x.dim(3),
        w.dim(0),
        (w.dim(2), w.dim(3)),
        stride,
        pad,
    )
}

/// Forward convolution `x [n, c, h, w]` ⋆ `w [o, c, kh, kw]` → `[n, o, oh, ow]`.
fn conv_forward<T: Element>(x: &Tensor<T>, w: &Tensor<T>, g: ConvGeom) -> Tensor<T> {
    let data = conv::forward(x.data(), w.data(), &g);
    let (x2, w2) = (x.clone(), w.clone());
    Tensor::from_op(
        data,
        vec![g.n, g.o, g.oh, g.ow],
        "conv2d",
        vec![x.clone(), w.clone()],
        {
            move |_, dy, wants| {
                vec![
                    wants[0].then(|| conv_input_grad(dy, &w2, g)),
                    wants[1].then(|| conv_weight_grad(&x2, dy, g)),
                ]
            }
        },
    )
}

/// Adjoint of the forward convolution in its input: `dy [n, o, oh, ow]`, `w` → `[n, c, h, w]`.
fn conv_input_grad<T: Element>(dy: &Tensor<T>, w: &Tensor<T>, g: ConvGeom) -> Tensor<T> {
    let data = conv::input_grad(dy.data(), w.data(), &g);
    let (dy2, w2) = (dy.clone(), w.clone());
    Tensor::from_op(
        data,
        vec![g.n, g.c, g.h, g.w],
        "conv_input_grad",
        vec![dy.clone(), w.clone()],
        {
            move |_, gx, wants| {
                vec![
                    wants[0].then(|| conv_forward(gx, &w2, g)),
                    wants[1].then(|| conv_weight_grad(gx, &dy2, g)),
                ]
            }
        },
    )
}

/// Adjoint of the forward convolution in its weight: `x`, `dy` → `[o, c, kh, kw]`.
fn conv_weight_grad<T: Element>(x: &Tensor<T>, dy: &Tensor<T>, g: ConvGeom) -> Tensor<T> {
    let data = conv::weight_grad(x.data(), dy.data(), &g);
    let (x2, dy2) = (x.clone(), dy.clone());
    Tensor::from_op(
        data,
        vec![g.o, g.c, g.kh, g.kw],
        "conv_weight_grad",
        vec![x.clone(), dy.clone()],
        {
            move |_, gw, wants| {
                vec![
                    wants[0].then(|| conv_input_grad(&dy2, gw, g)),
                    wants[1].then(|| conv_forward(&x2, gw, g)),
                ]
            }
        },
    )
}

/// 2-d convolution (cross-correlation, as in PyTorch's `conv2d`).
///
/// `x [n, c, h, w]`, `weight [o, c, k, k]` → `[n, o, (h+2p-k)/s+1, (w+2p-k)/s+1]`.
pub fn conv2d<T: Element>(
    x: &Tensor<T>,
    weight: &Tensor<T>,
    stride: usize,
    padding: usize,
) -> Tensor<T> {
    conv_forward(x, weight, geom_of(x, weight, stride, padding))
}

/// 2-d transposed convolution (PyTorch's `conv_transpose2d`, the gradient of `conv2d` in its
/// input). `x [n, c_in, h, w]`, `weight [c_in, c_out, k, k]` →
/// `[n, c_out, (h-1)s - 2p + k + output_padding, …]`.
pub fn conv_transpose2d<T: Element>(
    x: &Tensor<T>,
    weight: &Tensor<T>,
    stride: usize,
    padding: usize,
    output_padding: usize,
) -> Tensor<T> {
    assert_eq!(
        x.ndim(),
        4,
        "transposed convolution input must be [n, c, h, w], got {:?}",
        x.shape()
    );
    assert_eq!(
        x.dim(1),
        weight.dim(0),
        "input has {} channels, weight {:?}",
        x.dim(1),
        weight.shape()
    );
    assert!(
        output_padding < stride.max(padding + 1),
        "output padding must be below the stride"
    );
    let (kh, kw) = (weight.dim(2), weight.dim(3));
    let out_h = (x.dim(2) - 1) * stride + kh + output_padding - 2 * padding;
    let out_w = (x.dim(3) - 1) * stride + kw + output_padding - 2 * padding;
    // The transposed convolution is the input-gradient of a convolution whose input has the
    // requested output size and whose weight is laid out [c_in (its output), c_out, k, k].
    let g = ConvGeom::new(
        x.dim(0),
        weight.dim(1),
        out_h,
        out_w,
        weight.dim(0),
        (kh, kw),
        stride,
        padding,
    );
    assert_eq!(
        (g.oh, g.ow),
        (x.dim(2), x.dim(3)),
        "internal: transposed convolution geometry"
    );
    conv_input_grad(x, weight, g)
}
