//! Sequences to train or evaluate on, batched, with the positions that count.

/// `n` sequences of `len` tokens each, the target token at every position (the next token
/// for language-model style tasks), and which positions are scored: only those enter the
/// loss and the accuracies. The same positions are scored in every sequence of a batch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeqBatch {
    /// Positions per sequence.
    pub len: usize,
    /// Input tokens, sequence after sequence (`n * len`).
    pub tokens: Vec<u32>,
    /// Target tokens, laid out like `tokens`; ignored where a position is not scored.
    pub targets: Vec<u32>,
    /// `len` flags: which positions are scored.
    pub scored: Vec<bool>,
}

impl SeqBatch {
    /// An empty batch of sequences of `scored.len()` positions.
    pub fn new(scored: Vec<bool>) -> Self {
        SeqBatch {
            len: scored.len(),
            tokens: Vec::new(),
            targets: Vec::new(),
            scored,
        }
    }

    /// Number of sequences.
    pub fn sequences(&self) -> usize {
        self.tokens.len().checked_div(self.len).unwrap_or(0)
    }

    /// Scored positions per sequence.
    pub fn scored_per_sequence(&self) -> usize {
        self.scored.iter().filter(|&&s| s).count()
    }

    /// Appends one sequence. Panics if either slice is not `len` long (a programming error:
    /// the task generators make every sequence).
    pub fn push(&mut self, tokens: &[u32], targets: &[u32]) {
        assert_eq!(tokens.len(), self.len, "sequence length");
        assert_eq!(targets.len(), self.len, "target length");
        self.tokens.extend_from_slice(tokens);
        self.targets.extend_from_slice(targets);
    }

    /// Removes every sequence, keeping the allocation and the scored positions.
    pub fn clear(&mut self) {
        self.tokens.clear();
        self.targets.clear();
    }

    /// Sequence `i`'s tokens.
    pub fn tokens_of(&self, i: usize) -> &[u32] {
        &self.tokens[i * self.len..(i + 1) * self.len]
    }

    /// Sequence `i`'s targets.
    pub fn targets_of(&self, i: usize) -> &[u32] {
        &self.targets[i * self.len..(i + 1) * self.len]
    }
}
