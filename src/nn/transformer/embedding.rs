//! Token and learned position embeddings: row `r = s*T + t` of the residual stream starts as
//! `tok_emb[token] + pos_emb[t]` (`T` positions per sequence, `D` values per row).
//!
//! Backward scatters the gradient of every row into the token's and the position's rows.

/// `x[s*T + t] = tok[tokens[s*T + t]] + pos[t]` (`len` = T, `d` = D); tokens must be below
/// the table's rows (checked by the caller).
pub(crate) fn embed_forward(
    tokens: &[u32],
    len: usize,
    tok: &[f32],
    pos: &[f32],
    x: &mut [f32],
    d: usize,
) {
    for (r, (&token, x)) in tokens.iter().zip(x.chunks_exact_mut(d)).enumerate() {
        let t = token as usize;
        let p = r % len;
        let (tok_row, pos_row) = (&tok[t * d..(t + 1) * d], &pos[p * d..(p + 1) * d]);
        for ((x, &a), &b) in x.iter_mut().zip(tok_row).zip(pos_row) {
            *x = a + b;
        }
    }
}

/// Adds the gradient `dx` of every row into `dtok` (the token's row) and `dpos` (the
/// position's row).
pub(crate) fn embed_backward(
    tokens: &[u32],
    len: usize,
    dx: &[f32],
    dtok: &mut [f32],
    dpos: &mut [f32],
    d: usize,
) {
    for (r, (&token, g)) in tokens.iter().zip(dx.chunks_exact(d)).enumerate() {
        let t = token as usize;
        let p = r % len;
        for (a, &g) in dtok[t * d..(t + 1) * d].iter_mut().zip(g) {
            *a += g;
        }
        for (a, &g) in dpos[p * d..(p + 1) * d].iter_mut().zip(g) {
            *a += g;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradients_match_finite_differences() {
        // The embedding is linear, so central differences (step 0.5, f64 sums) are exact up
        // to rounding: tolerance 1e-4.
        let (vocab, len, d) = (5, 3, 4);
        let tokens = [4u32, 0, 4, 1, 1, 2];
        let tok: Vec<f32> = (0..vocab * d).map(|i| (i as f32 * 0.3).sin()).collect();
        let pos: Vec<f32> = (0..len * d).map(|i| (i as f32 * 0.9).cos()).collect();
        let c: Vec<f32> = (0..tokens.len() * d)
            .map(|i| 0.1 * i as f32 - 1.0)
            .collect();
        let loss = |tok: &[f32], pos: &[f32]| {
            let mut x = vec![0.0; tokens.len() * d];
            embed_forward(&tokens, len, tok, pos, &mut x, d);
            x.iter()
                .zip(&c)
                .map(|(&x, &c)| f64::from(x * c))
                .sum::<f64>()
        };
        let (mut dtok, mut dpos) = (vec![0.0; tok.len()], vec![0.0; pos.len()]);
        embed_backward(&tokens, len, &c, &mut dtok, &mut dpos, d);
        let h = 0.5f32;
        for i in 0..tok.len() {
            let (mut p, mut m) = (tok.clone(), tok.clone());
            p[i] += h;
            m[i] -= h;
            let fd = (loss(&p, &pos) - loss(&m, &pos)) / (2.0 * f64::from(h));
            assert!((f64::from(dtok[i]) - fd).abs() < 1e-4, "dtok[{i}]");
        }
        for i in 0..pos.len() {
            let (mut p, mut m) = (pos.clone(), pos.clone());
            p[i] += h;
            m[i] -= h;
            let fd = (loss(&tok, &p) - loss(&tok, &m)) / (2.0 * f64::from(h));
            assert!((f64::from(dpos[i]) - fd).abs() < 1e-4, "dpos[{i}]");
        }
        // Token 3 never appears: its gradient row stays zero.
        assert!(dtok[3 * d..4 * d].iter().all(|&g| g == 0.0));
    }
}
