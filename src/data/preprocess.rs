//! The original program's preprocessing, step by step:
//! 1. [`select_per_class`]: the same number of training images from every class,
//!    `k = round(fraction * N / classes)` each (capped by what a class has; a fraction of 1
//!    keeps everything), chosen at random from a seed;
//! 2. [`downsample`]: area averaging from 28x28 to `input_size` (14 by default; any size up
//!    to 28, e.g. 10 where each output pixel averages a 2.8x2.8 source area, weighting the
//!    partly covered source pixels by their covered fraction);
//! 3. scaling to [0, 1] (divide by 255), in [`to_dataset`];
//! 4. [`stratified_split`]: a seeded train/validation split that keeps each class's share;
//! 5. one-hot labels when batches are made ([`Dataset::batch`]).

use rand::seq::SliceRandom;

use crate::data::DataError;
use crate::data::idx::IdxImages;
use crate::nn::init::rng_from_seed;
use crate::nn::{Result as NnResult, Tensor};

/// Mixed into the seed of the split so it draws differently from the class selection.
const SPLIT_SEED_SALT: u64 = 0x5EED_5B11_7000_0001;

/// Images as `f32` in [0, 1] with their labels; images are `(1, side, side)`.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Dataset {
    /// Side length of the square images.
    pub side: usize,
    /// `len * side * side` values, image after image.
    pub pixels: Vec<f32>,
    /// One label (0..classes) per image.
    pub labels: Vec<u8>,
}

impl Dataset {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when there are no images.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The pixels of image `i`.
    pub fn image(&self, i: usize) -> &[f32] {
        let n = self.side * self.side;
        &self.pixels[i * n..(i + 1) * n]
    }

    /// The images at `indices` as an `(N, 1, side, side)` batch and their one-hot labels
    /// `(N, classes)`, written into `x` and `y` (reusing their allocations).
    pub fn batch(&self, indices: &[usize], classes: usize, x: &mut Tensor, y: &mut Tensor) {
        let n = self.side * self.side;
        x.resize(&[indices.len(), 1, self.side, self.side]);
        y.resize(&[indices.len(), classes]);
        y.fill(0.0);
        for (row, &i) in indices.iter().enumerate() {
            x.data_mut()[row * n..(row + 1) * n].copy_from_slice(self.image(i));
            let label = usize::from(self.labels[i]);
            if label < classes {
                y.data_mut()[row * classes + label] = 1.0;
            }
        }
    }

    /// The subset at `indices`.
    pub fn subset(&self, indices: &[usize]) -> Dataset {
        let mut pixels = Vec::with_capacity(indices.len() * self.side * self.side);
        for &i in indices {
            pixels.extend_from_slice(self.image(i));
        }
        Dataset {
            side: self.side,
            pixels,
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
        }
    }

    /// The whole set as one `(N, 1, side, side)` tensor.
    pub fn to_tensor(&self) -> NnResult<Tensor> {
        Tensor::from_vec(&[self.len(), 1, self.side, self.side], self.pixels.clone())
    }

    /// How many images each class has.
    pub fn class_counts(&self, classes: usize) -> Vec<usize> {
        let mut counts = vec![0; classes];
        for &l in &self.labels {
            if let Some(c) = counts.get_mut(usize::from(l)) {
                *c += 1;
            }
        }
        counts
    }
}

/// Indices of the images to keep: `round(fraction * N / classes)` per class, at random from
/// `seed`, in ascending order; `fraction >= 1` keeps all.
pub fn select_per_class(
    labels: &[u8],
    classes: usize,
    fraction: f64,
    seed: u64,
) -> Result<Vec<usize>, DataError> {
    if !(fraction > 0.0 && fraction <= 1.0) {
        return Err(DataError::Preprocess(format!(
            "percent_of_train_data_to_use must be in (0, 1], got {fraction}"
        )));
    }
    if fraction >= 1.0 {
        return Ok((0..labels.len()).collect());
    }
    let per_class = ((fraction * labels.len() as f64) / classes as f64).round() as usize;
    let mut rng = rng_from_seed(seed);
    let mut keep = Vec::with_capacity(per_class * classes);
    for class in 0..classes {
        let mut members: Vec<usize> = (0..labels.len())
            .filter(|&i| usize::from(labels[i]) == class)
            .collect();
        members.shuffle(&mut rng);
        keep.extend(members.into_iter().take(per_class.max(1)));
    }
    keep.sort_unstable();
    Ok(keep)
}

/// Area-averages a `src_side x src_side` image down to `dst_side x dst_side`.
pub fn downsample(src: &[f32], src_side: usize, dst_side: usize) -> Vec<f32> {
    if dst_side == src_side {
        return src.to_vec();
    }
    let scale = src_side as f64 / dst_side as f64;
    // Weights of source pixels along one axis for each output pixel (separable).
    let weights: Vec<Vec<(usize, f64)>> = (0..dst_side)
        .map(|o| {
            let (lo, hi) = (o as f64 * scale, (o + 1) as f64 * scale);
            (lo.floor() as usize..(hi.ceil() as usize).min(src_side))
                .filter_map(|s| {
                    let overlap = (hi.min((s + 1) as f64) - lo.max(s as f64)).max(0.0);
                    (overlap > 1e-12).then_some((s, overlap / scale))
                })
                .collect()
        })
        .collect();
    let mut out = vec![0.0; dst_side * dst_side];
    for (oy, wy) in weights.iter().enumerate() {
        for (ox, wx) in weights.iter().enumerate() {
            let mut acc = 0.0f64;
            for &(sy, fy) in wy {
                for &(sx, fx) in wx {
                    acc += fy * fx * f64::from(src[sy * src_side + sx]);
                }
            }
            out[oy * dst_side + ox] = acc as f32;
        }
    }
    out
}

/// The images at `indices` (all when `None`), scaled to [0, 1] and downsampled to `side`.
pub fn to_dataset(
    images: &IdxImages,
    labels: &[u8],
    indices: Option<&[usize]>,
    side: usize,
) -> Result<Dataset, DataError> {
    if images.rows != images.cols {
        return Err(DataError::Preprocess(format!(
            "images are {}x{}, expected square images",
            images.rows, images.cols
        )));
    }
    if side == 0 || side > images.rows {
        return Err(DataError::Preprocess(format!(
            "input_size {side} must be between 1 and the image size {}",
            images.rows
        )));
    }
    let all: Vec<usize>;
    let indices = match indices {
        Some(ix) => ix,
        None => {
            all = (0..images.count).collect();
            &all
        }
    };
    let mut pixels = Vec::with_capacity(indices.len() * side * side);
    let mut scaled = vec![0.0f32; images.rows * images.cols];
    for &i in indices {
        for (dst, &p) in scaled.iter_mut().zip(images.image(i)) {
            *dst = f32::from(p) / 255.0;
        }
        pixels.extend(downsample(&scaled, images.rows, side));
    }
    Ok(Dataset {
        side,
        pixels,
        labels: indices.iter().map(|&i| labels[i]).collect(),
    })
}

/// Splits `data` into (train, validation), putting `round(fraction * n_c)` images of every
/// class `c` into validation, chosen at random from `seed`.
pub fn stratified_split(
    data: &Dataset,
    classes: usize,
    fraction: f64,
    seed: u64,
) -> Result<(Dataset, Dataset), DataError> {
    if !(0.0..1.0).contains(&fraction) {
        return Err(DataError::Preprocess(format!(
            "percent_train_data_to_use_for_validation must be in [0, 1), got {fraction}"
        )));
    }
    let mut rng = rng_from_seed(seed ^ SPLIT_SEED_SALT);
    let (mut train, mut val) = (Vec::new(), Vec::new());
    for class in 0..classes {
        let mut members: Vec<usize> = (0..data.len())
            .filter(|&i| usize::from(data.labels[i]) == class)
            .collect();
        members.shuffle(&mut rng);
        let n_val = (fraction * members.len() as f64).round() as usize;
        val.extend_from_slice(&members[..n_val]);
        train.extend_from_slice(&members[n_val..]);
    }
    train.sort_unstable();
    val.sort_unstable();
    Ok((data.subset(&train), data.subset(&val)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_takes_equal_counts_per_class() {
        // 3 classes with 10, 20 and 30 members.
        let labels: Vec<u8> = (0..60u8)
            .map(|i| {
                if i < 10 {
                    0
                } else if i < 30 {
                    1
                } else {
                    2
                }
            })
            .collect();
        let keep = select_per_class(&labels, 3, 0.25, 1).unwrap();
        let mut counts = [0; 3];
        for &i in &keep {
            counts[usize::from(labels[i])] += 1;
        }
        assert_eq!(counts, [5, 5, 5]);
        assert_eq!(select_per_class(&labels, 3, 1.0, 1).unwrap().len(), 60);
        assert!(select_per_class(&labels, 3, 0.0, 1).is_err());
        assert_eq!(
            keep,
            select_per_class(&labels, 3, 0.25, 1).unwrap(),
            "seeded"
        );
    }

    #[test]
    fn downsampling_averages_areas() {
        // 4x4 -> 2x2: each output is the mean of a 2x2 block.
        let src: Vec<f32> = (0..16).map(|v| v as f32).collect();
        assert_eq!(downsample(&src, 4, 2), vec![2.5, 4.5, 10.5, 12.5]);
        // 3x3 -> 2x2: output (0,0) covers [0,1.5)^2: pixel (0,0) fully, (0,1),(1,0) half, (1,1) a quarter.
        let src = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0];
        let want00 = (1.0 + 0.5 * 2.0 + 0.5 * 4.0 + 0.25 * 5.0) / 2.25;
        let out = downsample(&src, 3, 2);
        assert!((out[0] - want00).abs() < 1e-6, "{out:?}");
        // Area averaging preserves the mean.
        let mean_in: f32 = src.iter().sum::<f32>() / 9.0;
        let mean_out: f32 = out.iter().sum::<f32>() / 4.0;
        assert!((mean_in - mean_out).abs() < 1e-5);
        // 28 -> 10 keeps a constant image constant.
        assert!(
            downsample(&[0.5; 784], 28, 10)
                .iter()
                .all(|v| (v - 0.5).abs() < 1e-6)
        );
    }

    #[test]
    fn to_dataset_scales_and_downsamples_a_known_image() {
        let mut pixels = vec![0u8; 28 * 28];
        // A 2x2 white block at the top-left: one white pixel after 28 -> 14.
        for (y, x) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
            pixels[y * 28 + x] = 255;
        }
        // One mid-grey pixel at (27, 27): a quarter of it after downsampling.
        pixels[27 * 28 + 27] = 102;
        let images = IdxImages {
            count: 1,
            rows: 28,
            cols: 28,
            pixels,
        };
        let d = to_dataset(&images, &[3], None, 14).unwrap();
        assert_eq!(d.side, 14);
        assert_eq!(d.image(0)[0], 1.0);
        assert!((d.image(0)[13 * 14 + 13] - 0.1).abs() < 1e-6);
        assert_eq!(d.image(0).iter().filter(|&&v| v > 0.0).count(), 2);
        assert!(to_dataset(&images, &[3], None, 29).is_err());
    }

    #[test]
    fn stratified_split_keeps_class_shares() {
        let labels: Vec<u8> = (0..100u8).map(|i| i % 4).collect(); // 25 per class
        let data = Dataset {
            side: 1,
            pixels: (0..100).map(|v| v as f32).collect(),
            labels,
        };
        let (train, val) = stratified_split(&data, 4, 0.2, 9).unwrap();
        assert_eq!(val.class_counts(4), vec![5, 5, 5, 5]);
        assert_eq!(train.class_counts(4), vec![20, 20, 20, 20]);
        // Every image lands in exactly one side.
        let mut all: Vec<f32> = train.pixels.iter().chain(&val.pixels).copied().collect();
        all.sort_by(f32::total_cmp);
        assert_eq!(all, (0..100).map(|v| v as f32).collect::<Vec<_>>());
    }

    #[test]
    fn batches_are_one_hot() {
        let data = Dataset {
            side: 1,
            pixels: vec![0.1, 0.2, 0.3],
            labels: vec![2, 0, 1],
        };
        let (mut x, mut y) = (Tensor::default(), Tensor::default());
        data.batch(&[2, 0], 3, &mut x, &mut y);
        assert_eq!(x.shape(), &[2, 1, 1, 1]);
        assert_eq!(x.data(), &[0.3, 0.1]);
        assert_eq!(y.data(), &[0.0, 1.0, 0.0, 0.0, 0.0, 1.0]);
    }
}
