//! Text renderings for the terminal: a digit as shaded ASCII art and a confusion matrix as an
//! aligned table.

use netviz::nn::metrics::ConfusionMatrix;

/// Shades from empty to full ink.
const SHADES: &[u8] = b" .:-=+*#%@";

/// An image of `side x side` values in [0, 1] as text, two characters per pixel so that it
/// keeps its proportions; one line per row, each ending in a newline.
pub fn ascii_digit(pixels: &[f32], side: usize) -> String {
    let mut out = String::with_capacity(side * (2 * side + 1));
    for row in pixels.chunks(side.max(1)) {
        for &v in row {
            let level = (v.clamp(0.0, 1.0) * (SHADES.len() - 1) as f32).round() as usize;
            let c = char::from(SHADES[level.min(SHADES.len() - 1)]);
            out.push(c);
            out.push(c);
        }
        out.push('\n');
    }
    out
}

/// The matrix as a table: one row per true class, one column per predicted class, with the
/// row totals (support) and recall on the right.
pub fn confusion_table(m: &ConfusionMatrix) -> String {
    let c = m.num_classes();
    let width = (0..c)
        .flat_map(|t| m.row(t).iter().copied())
        .max()
        .unwrap_or(0)
        .to_string()
        .len()
        .max(c.saturating_sub(1).to_string().len())
        .max(4)
        + 1;
    let mut out = String::new();
    out.push_str(&format!("{:>10}", "true\\pred"));
    for p in 0..c {
        out.push_str(&format!("{p:>width$}"));
    }
    out.push_str(&format!("{:>8}{:>8}\n", "total", "recall"));
    for t in 0..c {
        out.push_str(&format!("{t:>10}"));
        for &n in m.row(t) {
            out.push_str(&format!("{n:>width$}"));
        }
        out.push_str(&format!("{:>8}{:>8.4}\n", m.support(t), m.recall(t)));
    }
    out.push_str(&format!("{:>10}", "precision"));
    for p in 0..c {
        let text = format!("{:.2}", m.precision(p));
        out.push_str(&format!("{text:>width$}"));
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_digit_shades_by_intensity() {
        let art = ascii_digit(&[0.0, 1.0, 0.5, 0.05], 2);
        assert_eq!(art, "  @@\n++  \n");
    }

    #[test]
    fn confusion_table_is_aligned() {
        let m = ConfusionMatrix::from_predictions(3, &[0, 0, 1, 2, 2], &[0, 1, 1, 2, 0]).unwrap();
        let table = confusion_table(&m);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 5, "{table}");
        assert!(
            lines[1].trim_start().starts_with("0    1    1    0"),
            "{table}"
        );
        // Every class row has the same width.
        assert!(
            lines[1..4].iter().all(|l| l.len() == lines[1].len()),
            "{table}"
        );
    }
}
