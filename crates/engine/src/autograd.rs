//! Reverse-mode differentiation over the recorded graph.
//!
//! [`grad`] walks back from the outputs in topological order, calling each op's backward rule.
//! With `create_graph = true` the rules run with recording on, so the returned gradients are
//! themselves differentiable: the gradient of a function of a gradient (the WGAN-GP penalty)
//! comes from a second call to [`grad`].

use std::collections::{HashMap, HashSet};

use crate::element::Element;
use crate::grad_mode::set_grad_enabled;
use crate::tensor::Tensor;

/// Gradients of the sum of scalar `outputs` with respect to each of `inputs`.
///
/// Inputs the outputs do not depend on get a zero gradient. Panics if an output is not a
/// one-element tensor; use [`grad_with`] to seed non-scalar outputs.
pub fn grad<T: Element>(
    outputs: &[Tensor<T>],
    inputs: &[Tensor<T>],
    create_graph: bool,
) -> Vec<Tensor<T>> {
    let seeds: Vec<Tensor<T>> = outputs
        .iter()
        .map(|o| {
            assert_eq!(
                o.numel(),
                1,
                "grad() needs scalar outputs, got shape {:?}",
                o.shape()
            );
            Tensor::ones(o.shape())
        })
        .collect();
    grad_with(outputs, &seeds, inputs, create_graph)
}

/// Vector-Jacobian products: gradients of Σ ⟨outputs[i], seeds[i]⟩ with respect to `inputs`.
pub fn grad_with<T: Element>(
    outputs: &[Tensor<T>],
    seeds: &[Tensor<T>],
    inputs: &[Tensor<T>],
    create_graph: bool,
) -> Vec<Tensor<T>> {
    assert_eq!(outputs.len(), seeds.len(), "one seed per output");
    let _mode = set_grad_enabled(create_graph);
    let targets: HashSet<u64> = inputs.iter().map(|t| t.id()).collect();
    let order = topological_order(outputs);
    let needed = needed_nodes(&order, &targets);

    let mut grads: HashMap<u64, Tensor<T>> = HashMap::new();
    for (out, seed) in outputs.iter().zip(seeds) {
        assert_eq!(
            out.shape(),
            seed.shape(),
            "seed shape must match its output"
        );
        accumulate(&mut grads, out.id(), seed.clone());
    }

    for node in order.iter().rev() {
        let Some(grad_fn) = node.node.grad_fn.as_ref() else {
            continue;
        };
        if !needed.contains(&node.id()) {
            continue;
        }
        let g = if targets.contains(&node.id()) {
            grads.get(&node.id()).cloned()
        } else {
            grads.remove(&node.id())
        };
        let Some(g) = g else { continue };
        let wants: Vec<bool> = grad_fn
            .inputs
            .iter()
            .map(|i| i.requires_grad() && needed.contains(&i.id()))
            .collect();
        let input_grads = (grad_fn.backward)(node, &g, &wants);
        for ((input, ig), want) in grad_fn.inputs.iter().zip(input_grads).zip(&wants) {
            if let (Some(ig), true) = (ig, *want) {
                debug_assert_eq!(
                    ig.shape(),
                    input.shape(),
                    "gradient shape of {}",
                    grad_fn.name
                );
                accumulate(&mut grads, input.id(), ig);
            }
        }
    }

    inputs
        .iter()
        .map(|i| {
            grads
                .get(&i.id())
                .cloned()
                .unwrap_or_else(|| Tensor::zeros(i.shape()))
        })
        .collect()
}

fn accumulate<T: Element>(grads: &mut HashMap<u64, Tensor<T>>, id: u64, g: Tensor<T>) {
    let summed = match grads.remove(&id) {
        Some(previous) => &previous + &g,
        None => g,
    };
    grads.insert(id, summed);
}

/// Every tensor reachable from `outputs` through inputs that require a gradient, each listed
/// after all of its inputs.
fn topological_order<T: Element>(outputs: &[Tensor<T>]) -> Vec<Tensor<T>> {
    let mut order = Vec::new();
    let mut visited = HashSet::new();
    // Iterative depth-first search: (tensor, whether its inputs were already pushed).
    let mut stack: Vec<(Tensor<T>, bool)> = outputs
        .iter()
        .filter(|o| o.requires_grad())
        .map(|o| (o.clone(), false))
        .collect();
    while let Some((t, expanded)) = stack.pop() {
        if expanded {
            order.push(t);
            continue;
        }
        if !visited.insert(t.id()) {
            continue;
        }
        stack.push((t.clone(), true));
        if let Some(grad_fn) = t.node.grad_fn.as_ref() {
            for input in grad_fn.inputs.iter().filter(|i| i.requires_grad()) {
                if !visited.contains(&input.id()) {
                    stack.push((input.clone(), false));
                }
            }
        }
    }
    order
}

/// Tensors on some path to a target: only their gradients are worth computing.
fn needed_nodes<T: Element>(order: &[Tensor<T>], targets: &HashSet<u64>) -> HashSet<u64> {
    let mut needed = HashSet::new();
    for t in order {
        let through_input = t
            .node
            .grad_fn
            .as_ref()
            .is_some_and(|g| g.inputs.iter().any(|i| needed.contains(&i.id())));
        if targets.contains(&t.id()) || through_input {
            needed.insert(t.id());
        }
    }
    needed
}
