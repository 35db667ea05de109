//! The training and test data of a forest: a row-major [`Table`] of `rows x cols` feature
//! values (8-bit pixels or `f32`), one class label per row. Growing reads a feature-major
//! copy ([`Columns`]) so the split search walks one feature's values contiguously.

use super::ForestError;

/// Feature values, row-major (`rows x cols`).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Features {
    /// Real values (finite).
    F32(Vec<f32>),
    /// 8-bit values (pixels); compared as `f32`, so thresholds are half-integers.
    U8(Vec<u8>),
}

/// Rows of features with a class label each.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Table {
    /// The values, row-major.
    pub features: Features,
    /// Rows (samples).
    pub rows: usize,
    /// Columns (features).
    pub cols: usize,
    /// One label per row, each `< classes`.
    pub labels: Vec<u8>,
    /// Number of classes.
    pub classes: usize,
}

impl Table {
    /// A table of real values; every value must be finite.
    pub fn from_f32(
        values: Vec<f32>,
        rows: usize,
        cols: usize,
        labels: Vec<u8>,
        classes: usize,
    ) -> Result<Table, ForestError> {
        check_shape(values.len(), rows, cols, &labels, classes)?;
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(ForestError::Data(format!(
                "value {} of row {} (column {}) is not finite",
                values[i],
                i / cols,
                i % cols
            )));
        }
        Ok(Table {
            features: Features::F32(values),
            rows,
            cols,
            labels,
            classes,
        })
    }

    /// A table of 8-bit values (pixels).
    pub fn from_u8(
        values: Vec<u8>,
        rows: usize,
        cols: usize,
        labels: Vec<u8>,
        classes: usize,
    ) -> Result<Table, ForestError> {
        check_shape(values.len(), rows, cols, &labels, classes)?;
        Ok(Table {
            features: Features::U8(values),
            rows,
            cols,
            labels,
            classes,
        })
    }

    /// Points in the plane with 0.0/1.0 labels (a label above 0.5 is class 1) as a two-class
    /// table of two columns. Non-finite coordinates become 0.
    pub fn from_plane(points: &[[f32; 2]], labels: &[f32]) -> Table {
        let n = points.len().min(labels.len());
        let values = points[..n]
            .iter()
            .flat_map(|p| p.map(|v| if v.is_finite() { v } else { 0.0 }))
            .collect();
        Table {
            features: Features::F32(values),
            rows: n,
            cols: 2,
            labels: labels[..n].iter().map(|&l| u8::from(l > 0.5)).collect(),
            classes: 2,
        }
    }

    /// Feature `col` of row `row` as `f32`.
    pub fn value(&self, row: usize, col: usize) -> f32 {
        match &self.features {
            Features::F32(v) => v[row * self.cols + col],
            Features::U8(v) => f32::from(v[row * self.cols + col]),
        }
    }

    /// Row `row` as `f32` values.
    pub fn row_f32(&self, row: usize) -> Vec<f32> {
        let mut out = Vec::with_capacity(self.cols);
        self.row_into(row, &mut out);
        out
    }

    /// Row `row` as `f32` values into `out` (cleared first), reusing its allocation.
    pub fn row_into(&self, row: usize, out: &mut Vec<f32>) {
        out.clear();
        let span = row * self.cols..(row + 1) * self.cols;
        match &self.features {
            Features::F32(v) => out.extend_from_slice(&v[span]),
            Features::U8(v) => out.extend(v[span].iter().map(|&b| f32::from(b))),
        }
    }

    /// Checks the table's own invariants (a table built field by field may break them).
    pub fn check(&self) -> Result<(), ForestError> {
        let len = match &self.features {
            Features::F32(v) => v.len(),
            Features::U8(v) => v.len(),
        };
        check_shape(len, self.rows, self.cols, &self.labels, self.classes)
    }

    /// The feature-major copy the split search reads.
    pub(crate) fn columns(&self) -> Columns {
        let (rows, cols) = (self.rows, self.cols);
        match &self.features {
            Features::F32(v) => Columns::F32(transpose(v, rows, cols)),
            Features::U8(v) => Columns::U8(transpose(v, rows, cols)),
        }
    }
}

/// Feature-major values: feature `f` of row `r` at `f * rows + r`.
pub(crate) enum Columns {
    /// Real values.
    F32(Vec<f32>),
    /// 8-bit values.
    U8(Vec<u8>),
}

/// `rows x cols` row-major to `cols x rows`, in cache-sized blocks.
fn transpose<T: Copy + Default>(v: &[T], rows: usize, cols: usize) -> Vec<T> {
    const B: usize = 64;
    let mut out = vec![T::default(); v.len()];
    for r0 in (0..rows).step_by(B) {
        for c0 in (0..cols).step_by(B) {
            for r in r0..(r0 + B).min(rows) {
                for c in c0..(c0 + B).min(cols) {
                    out[c * rows + r] = v[r * cols + c];
                }
            }
        }
    }
    out
}

fn check_shape(
    len: usize,
    rows: usize,
    cols: usize,
    labels: &[u8],
    classes: usize,
) -> Result<(), ForestError> {
    let fail = |msg: String| Err(ForestError::Data(msg));
    if rows == 0 || cols == 0 {
        return fail(format!(
            "a table needs rows and columns, not {rows} x {cols}"
        ));
    }
    if rows > u32::MAX as usize / 2 {
        return fail(format!("{rows} rows are more than a forest can index"));
    }
    if rows.checked_mul(cols) != Some(len) {
        return fail(format!(
            "{len} values do not fill {rows} rows x {cols} columns"
        ));
    }
    if labels.len() != rows {
        return fail(format!("{} labels for {rows} rows", labels.len()));
    }
    if classes == 0 || classes > 256 {
        return fail(format!("classes must be 1 to 256, not {classes}"));
    }
    if let Some(i) = labels.iter().position(|&l| usize::from(l) >= classes) {
        return fail(format!(
            "label {} of row {i} is not below the {classes} classes",
            labels[i]
        ));
    }
    Ok(())
}
