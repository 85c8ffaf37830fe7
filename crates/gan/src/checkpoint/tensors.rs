//! Named f32 tensors to and from safetensors files, with shape checks against the model.

use std::collections::BTreeMap;
use std::path::Path;

use safetensors::{Dtype, SafeTensors};

use super::CheckpointError;

/// The likely cause of any name or shape mismatch.
const OTHER_MODEL: &str = "checkpoint from another model?";

/// A dense f32 tensor in row-major order.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorData {
    /// Dimensions, outermost first.
    pub shape: Vec<usize>,
    /// `shape.iter().product()` values.
    pub data: Vec<f32>,
}

impl TensorData {
    /// Pairs a shape with its values; the caller keeps `data.len()` equal to the shape's size.
    pub fn new(shape: Vec<usize>, data: Vec<f32>) -> Self {
        Self { shape, data }
    }
}

/// Tensors by name, e.g. `fc.weight`.
pub type TensorMap = BTreeMap<String, TensorData>;

/// Expected shapes by tensor name.
pub type ShapeMap = BTreeMap<String, Vec<usize>>;

/// The shapes of `tensors`, e.g. to build the expectation from a freshly initialised model.
pub fn shapes_of(tensors: &TensorMap) -> ShapeMap {
    tensors
        .iter()
        .map(|(name, t)| (name.clone(), t.shape.clone()))
        .collect()
}

/// Encodes `tensors` as a safetensors buffer of little-endian F32 data.
pub(crate) fn encode(path: &Path, tensors: &TensorMap) -> Result<Vec<u8>, CheckpointError> {
    let mismatch = |problem: String| CheckpointError::Mismatch {
        path: path.into(),
        problem,
    };
    let mut bytes = Vec::with_capacity(tensors.len());
    for (name, tensor) in tensors {
        let size: usize = tensor.shape.iter().product();
        if size != tensor.data.len() {
            let (shape, len) = (&tensor.shape, tensor.data.len());
            return Err(mismatch(format!(
                "tensor {name} has shape {shape:?} but {len} values"
            )));
        }
        let raw: Vec<u8> = tensor.data.iter().flat_map(|x| x.to_le_bytes()).collect();
        bytes.push((name.as_str(), tensor.shape.clone(), raw));
    }

    let mut views = Vec::with_capacity(bytes.len());
    for (name, shape, raw) in &bytes {
        let view = safetensors::tensor::TensorView::new(Dtype::F32, shape.clone(), raw);
        views.push((*name, view.map_err(|e| mismatch(e.to_string()))?));
    }
    safetensors::serialize(views, None).map_err(|e| mismatch(e.to_string()))
}

/// Decodes a safetensors buffer read from `path`; every tensor must be F32.
pub(crate) fn decode(path: &Path, buffer: &[u8]) -> Result<TensorMap, CheckpointError> {
    let file = SafeTensors::deserialize(buffer).map_err(|e| CheckpointError::Format {
        path: path.into(),
        detail: e.to_string(),
    })?;

    let mut tensors = TensorMap::new();
    for (name, view) in file.tensors() {
        if view.dtype() != Dtype::F32 {
            let problem = format!("tensor {name} has dtype {:?}, expected F32", view.dtype());
            return Err(CheckpointError::Mismatch {
                path: path.into(),
                problem,
            });
        }
        let data = view.data().chunks_exact(4);
        let data = data
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        tensors.insert(name, TensorData::new(view.shape().to_vec(), data));
    }
    Ok(tensors)
}

/// Checks that `tensors` holds exactly the names of `expected`, each with its shape.
pub(crate) fn check_shapes(
    path: &Path,
    tensors: &TensorMap,
    expected: &ShapeMap,
) -> Result<(), CheckpointError> {
    let mismatch = |problem: String| CheckpointError::Mismatch {
        path: path.into(),
        problem,
    };
    for (name, shape) in expected {
        let Some(found) = tensors.get(name) else {
            return Err(mismatch(format!("tensor {name} is missing: {OTHER_MODEL}")));
        };
        if &found.shape != shape {
            let found = &found.shape;
            let problem = format!("tensor {name} has shape {found:?}, expected {shape:?}");
            let problem = format!("{problem}: {OTHER_MODEL}");
            return Err(mismatch(problem));
        }
    }
    if let Some(name) = tensors.keys().find(|name| !expected.contains_key(*name)) {
        return Err(mismatch(format!("unexpected tensor {name}: {OTHER_MODEL}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> TensorMap {
        let mut tensors = TensorMap::new();
        let weights = vec![1.5, -0.0, f32::MIN_POSITIVE, f32::MAX, 1e-40, -3.25];
        tensors.insert("fc.weight".into(), TensorData::new(vec![2, 3], weights));
        tensors.insert(
            "fc.bias".into(),
            TensorData::new(vec![2], vec![0.1, f32::NAN]),
        );
        tensors.insert("step".into(), TensorData::new(vec![], vec![7.0]));
        tensors
    }

    #[test]
    fn encode_decode_is_bit_identical() {
        let path = Path::new("g.safetensors");
        let tensors = sample();
        let back = decode(path, &encode(path, &tensors).unwrap()).unwrap();
        assert_eq!(shapes_of(&back), shapes_of(&tensors));
        for (name, tensor) in &tensors {
            let bits = |t: &TensorData| t.data.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&back[name]), bits(tensor), "{name}");
        }
    }

    #[test]
    fn shape_mismatch_names_tensor_and_both_shapes() {
        let path = Path::new("run/generator.safetensors");
        let mut expected = shapes_of(&sample());
        expected.insert("fc.weight".into(), vec![2, 4]);
        let err = check_shapes(path, &sample(), &expected)
            .unwrap_err()
            .to_string();
        let want = "checkpoint run/generator.safetensors: tensor fc.weight has shape [2, 3], \
                    expected [2, 4]: checkpoint from another model?";
        assert_eq!(err, want);
    }

    #[test]
    fn missing_and_extra_tensors_are_reported() {
        let path = Path::new("c.safetensors");
        let mut expected = shapes_of(&sample());
        expected.insert("fc2.weight".into(), vec![1]);
        let err = check_shapes(path, &sample(), &expected)
            .unwrap_err()
            .to_string();
        assert!(err.contains("tensor fc2.weight is missing"), "{err}");
        expected.remove("fc2.weight");
        expected.remove("step");
        let err = check_shapes(path, &sample(), &expected)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unexpected tensor step"), "{err}");
    }

    #[test]
    fn wrong_length_is_refused_when_encoding() {
        let mut tensors = TensorMap::new();
        tensors.insert("w".into(), TensorData::new(vec![2, 2], vec![1.0; 3]));
        let err = encode(Path::new("x"), &tensors).unwrap_err().to_string();
        assert!(
            err.contains("tensor w has shape [2, 2] but 3 values"),
            "{err}"
        );
    }
}
