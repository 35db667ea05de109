//! The attention lab's tasks: sequences generated from a seed (or cut from a shipped text),
//! each one legible in the attention it needs.
//!
//! Every task says which positions it scores; a model is trained and judged only on those.
//! Held-out sequences come from a generator stream of their own ([`Task::held_out`]), so a
//! model is judged on sequences it has (almost surely) never seen; for modular addition, whose
//! every sequence is one of `p²` pairs, a seeded half of the pairs is trained on and the other
//! half held out, and for the text the last tenth of it.
//!
//! | task | sequence (16 positions unless stated) | scored | what attention shows |
//! | --- | --- | --- | --- |
//! | sort | 8 digits, `|`, the digits sorted | the 8 answers | each answer looks back at where its digit is |
//! | reverse | 8 digits, `|`, the digits reversed | the 8 answers | an anti-diagonal |
//! | copy | 8 digits, `|`, the same digits again | the 8 answers | a stripe 9 positions back (the offset) |
//! | induction | 15 random tokens with one pair `A B` inside, then `A` | the last | a head to the token after the earlier `A` |
//! | modadd | `a + b =` (4 positions), answer `(a + b) mod 13` | the last | the `=` reads both operands |
//! | text | 32 characters of Shakespeare's sonnets | every one | recent characters, word starts |

use rand::Rng;
use rand::seq::SliceRandom;

use crate::nn::init::{NnRng, rng_from_seed};
use crate::nn::transformer::SeqBatch;

/// The text the `text` task trains on (public domain; see `assets/text/README.md`).
pub const TEXT: &str = include_str!("../../assets/text/sonnets.txt");

/// Digits per sequence of the digit tasks (sort, reverse, copy).
pub const DIGITS: usize = 8;
/// The separator token of the digit tasks (after the ten digits).
pub const SEPARATOR: u32 = 10;
/// The modulus of modular addition.
pub const MODULUS: u32 = 13;
/// Tokens of the digit tasks, induction and modular addition (workload T's vocabulary).
pub const SMALL_VOCAB: usize = 16;
/// Positions of a `text` sequence.
pub const TEXT_CONTEXT: usize = 32;
/// Share of the modular-addition pairs trained on.
pub const MODADD_TRAIN_SHARE: f64 = 0.5;
/// Stream added to a seed for held-out sequences, so they never come from the training stream.
const HELD_OUT_STREAM: u64 = 0x05ee_d0f4_e1d0;

/// Which task.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum TaskKind {
    /// Sort 8 digits.
    #[default]
    Sort,
    /// Reverse 8 digits.
    Reverse,
    /// Copy 8 digits.
    Copy,
    /// "... A B ... A" → "B".
    Induction,
    /// `a + b mod p`.
    ModAdd,
    /// Next character of the sonnets.
    Text,
}

impl TaskKind {
    /// Every task, in menu order.
    pub const ALL: [TaskKind; 6] = [
        TaskKind::Sort,
        TaskKind::Reverse,
        TaskKind::Copy,
        TaskKind::Induction,
        TaskKind::ModAdd,
        TaskKind::Text,
    ];

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            TaskKind::Sort => "sort",
            TaskKind::Reverse => "reverse",
            TaskKind::Copy => "copy",
            TaskKind::Induction => "induction",
            TaskKind::ModAdd => "modadd",
            TaskKind::Text => "text",
        }
    }

    /// The task with command-line name `name`.
    pub fn from_name(name: &str) -> Option<TaskKind> {
        TaskKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// A human title for menus.
    pub fn title(self) -> &'static str {
        match self {
            TaskKind::Sort => "Sort 8 digits",
            TaskKind::Reverse => "Reverse 8 digits",
            TaskKind::Copy => "Copy 8 digits",
            TaskKind::Induction => "Induction (A B ... A, then B)",
            TaskKind::ModAdd => "Modular addition (mod 13)",
            TaskKind::Text => "Next character (sonnets)",
        }
    }

    /// One sentence on what is scored.
    pub fn scoring(self) -> &'static str {
        match self {
            TaskKind::Sort | TaskKind::Reverse | TaskKind::Copy => {
                "scored: the 8 answer positions after the separator"
            }
            TaskKind::Induction => "scored: the last position (the token after the earlier A)",
            TaskKind::ModAdd => "scored: the answer after '='; held out: half of the 169 pairs",
            TaskKind::Text => "scored: every next character; held out: the last tenth of the text",
        }
    }
}

impl std::fmt::Display for TaskKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Two operands of modular addition.
pub type Pair = (u32, u32);

/// A sequence as the user typed it, turned into tokens, with the right answer (when the task
/// defines one) at every position.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Probe {
    /// Input tokens.
    pub tokens: Vec<u32>,
    /// The correct next token at each position, `None` where the task has none.
    pub targets: Vec<Option<u32>>,
}

/// A task, ready to generate sequences.
#[derive(Clone, Debug)]
pub struct Task {
    kind: TaskKind,
    /// The seed it was made with.
    seed: u64,
    /// Text task: the characters of the vocabulary, in token order.
    chars: Vec<char>,
    /// Text task: the text as tokens.
    text: Vec<u32>,
    /// Modular addition: the training pairs and the held-out pairs.
    pairs: (Vec<Pair>, Vec<Pair>),
}

impl Task {
    /// The task `kind`; `seed` chooses which modular-addition pairs are held out.
    pub fn new(kind: TaskKind, seed: u64) -> Task {
        let mut task = Task {
            kind,
            seed,
            chars: Vec::new(),
            text: Vec::new(),
            pairs: (Vec::new(), Vec::new()),
        };
        match kind {
            TaskKind::Text => {
                let mut chars: Vec<char> = TEXT.chars().collect();
                chars.sort_unstable();
                chars.dedup();
                task.text = TEXT
                    .chars()
                    .map(|c| chars.binary_search(&c).unwrap_or(0) as u32)
                    .collect();
                task.chars = chars;
            }
            TaskKind::ModAdd => {
                let mut all: Vec<Pair> = (0..MODULUS)
                    .flat_map(|a| (0..MODULUS).map(move |b| (a, b)))
                    .collect();
                all.shuffle(&mut rng_from_seed(seed ^ HELD_OUT_STREAM));
                let train = (all.len() as f64 * MODADD_TRAIN_SHARE).round() as usize;
                let held = all.split_off(train);
                task.pairs = (all, held);
            }
            _ => {}
        }
        task
    }

    /// Which task.
    pub fn kind(&self) -> TaskKind {
        self.kind
    }

    /// The seed it was made with.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Tokens of the task's vocabulary (what the model's embedding needs).
    pub fn vocab(&self) -> usize {
        match self.kind {
            TaskKind::Text => self.chars.len(),
            _ => SMALL_VOCAB,
        }
    }

    /// How many tokens (`0..n`) the task's sequences use (the digit tasks leave the top of
    /// the shared 16-token vocabulary unused).
    pub fn tokens_used(&self) -> usize {
        match self.kind {
            TaskKind::Sort | TaskKind::Reverse | TaskKind::Copy => SEPARATOR as usize + 1,
            TaskKind::ModAdd => MODULUS as usize + 2,
            TaskKind::Induction => SMALL_VOCAB,
            TaskKind::Text => self.chars.len(),
        }
    }

    /// Positions of every sequence.
    pub fn len(&self) -> usize {
        match self.kind {
            TaskKind::Sort | TaskKind::Reverse | TaskKind::Copy | TaskKind::Induction => 16,
            TaskKind::ModAdd => 4,
            TaskKind::Text => TEXT_CONTEXT,
        }
    }

    /// Always false: every task has positions.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Which positions are scored.
    pub fn scored(&self) -> Vec<bool> {
        let len = self.len();
        (0..len)
            .map(|i| match self.kind {
                TaskKind::Sort | TaskKind::Reverse | TaskKind::Copy => i >= DIGITS,
                TaskKind::Induction | TaskKind::ModAdd => i + 1 == len,
                TaskKind::Text => true,
            })
            .collect()
    }

    /// An empty batch of this task's shape.
    pub fn empty_batch(&self) -> SeqBatch {
        SeqBatch::new(self.scored())
    }

    /// How token `t` is written ("7", "|", "+", "a", "·" for a space, "¶" for a newline).
    pub fn label(&self, t: u32) -> String {
        match self.kind {
            TaskKind::Text => match self.chars.get(t as usize) {
                Some(' ') => "·".to_string(),
                Some('\n') => "¶".to_string(),
                Some(c) => c.to_string(),
                None => "?".to_string(),
            },
            TaskKind::ModAdd => match t {
                t if t < MODULUS => t.to_string(),
                13 => "+".to_string(),
                14 => "=".to_string(),
                _ => format!("·{t}"),
            },
            TaskKind::Sort | TaskKind::Reverse | TaskKind::Copy => match t {
                0..=9 => t.to_string(),
                SEPARATOR => "|".to_string(),
                _ => format!("·{t}"),
            },
            TaskKind::Induction => {
                const LETTERS: &[u8; 16] = b"ABCDEFGHIJKLMNOP";
                LETTERS
                    .get(t as usize)
                    .map_or_else(|| "?".to_string(), |&c| char::from(c).to_string())
            }
        }
    }

    /// One training sequence: tokens and the target at every position.
    pub fn sample(&self, rng: &mut NnRng) -> (Vec<u32>, Vec<u32>) {
        match self.kind {
            TaskKind::Sort | TaskKind::Reverse | TaskKind::Copy => {
                let digits: Vec<u32> = (0..DIGITS).map(|_| rng.random_range(0..10)).collect();
                self.digit_sequence(&digits)
            }
            TaskKind::Induction => {
                let len = self.len();
                let a = rng.random_range(0..SMALL_VOCAB as u32);
                let mut b = rng.random_range(0..SMALL_VOCAB as u32 - 1);
                if b >= a {
                    b += 1;
                }
                // Filler never equal to A, so the earlier A is the only one.
                let mut tokens: Vec<u32> = (0..len)
                    .map(|_| {
                        let t = rng.random_range(0..SMALL_VOCAB as u32 - 1);
                        if t >= a { t + 1 } else { t }
                    })
                    .collect();
                let p = rng.random_range(0..len - 2);
                tokens[p] = a;
                tokens[p + 1] = b;
                tokens[len - 1] = a;
                let mut targets = next_tokens(&tokens);
                targets[len - 1] = b;
                (tokens, targets)
            }
            TaskKind::ModAdd => {
                let (a, b) = self.pairs.0[rng.random_range(0..self.pairs.0.len())];
                modadd_sequence(a, b)
            }
            TaskKind::Text => {
                let len = self.len();
                let train_end = self.text_train_end();
                let start = rng.random_range(0..train_end - len - 1);
                self.text_window(start)
            }
        }
    }

    /// Fills `out` with `n` training sequences drawn from `rng`.
    pub fn fill_batch(&self, n: usize, rng: &mut NnRng, out: &mut SeqBatch) {
        out.clear();
        for _ in 0..n {
            let (tokens, targets) = self.sample(rng);
            out.push(&tokens, &targets);
        }
    }

    /// `n` held-out sequences for seed `seed`: fresh ones from a stream training never uses;
    /// for modular addition every held-out pair (ignoring `n`), for the text `n` windows from
    /// the held-out tenth.
    pub fn held_out(&self, n: usize, seed: u64) -> SeqBatch {
        let mut batch = self.empty_batch();
        match self.kind {
            TaskKind::ModAdd => {
                for &(a, b) in &self.pairs.1 {
                    let (tokens, targets) = modadd_sequence(a, b);
                    batch.push(&tokens, &targets);
                }
            }
            TaskKind::Text => {
                let mut rng = rng_from_seed(seed.wrapping_add(HELD_OUT_STREAM));
                let (lo, hi) = (self.text_train_end(), self.text.len() - self.len() - 1);
                for _ in 0..n {
                    let (tokens, targets) = self.text_window(rng.random_range(lo..hi));
                    batch.push(&tokens, &targets);
                }
            }
            _ => {
                let mut rng = rng_from_seed(seed.wrapping_add(HELD_OUT_STREAM));
                self.fill_batch(n, &mut rng, &mut batch);
            }
        }
        batch
    }

    /// The modular-addition pairs trained on and held out (empty for other tasks).
    pub fn modadd_pairs(&self) -> (&[Pair], &[Pair]) {
        (&self.pairs.0, &self.pairs.1)
    }

    /// The probe the lab shows first: a fixed, typical sequence of the task.
    pub fn default_probe(&self) -> Probe {
        let text = match self.kind {
            TaskKind::Sort | TaskKind::Reverse | TaskKind::Copy => "31415926",
            TaskKind::Induction => "CKFMAGDJEHNLOBIA",
            TaskKind::ModAdd => "7 9",
            TaskKind::Text => "Shall I compare thee to a summer",
        };
        self.probe_from_text(text)
            .unwrap_or_else(|_| self.sequence_probe(self.sample(&mut rng_from_seed(0))))
    }

    /// A probe from what the user typed:
    /// - sort, reverse, copy: 8 digits (spaces ignored); the answer is filled in;
    /// - induction: 16 letters A-P (the last the query; the target is the letter after its
    ///   earlier occurrence, if there is one);
    /// - modadd: two numbers below 13 (`7 9` or `7+9`);
    /// - text: up to 32 characters of the sonnets' alphabet.
    pub fn probe_from_text(&self, text: &str) -> Result<Probe, String> {
        match self.kind {
            TaskKind::Sort | TaskKind::Reverse | TaskKind::Copy => {
                let digits: Vec<u32> = text
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .map(|c| c.to_digit(10).ok_or(format!("'{c}' is not a digit")))
                    .collect::<Result<_, _>>()?;
                if digits.len() != DIGITS {
                    return Err(format!("type {DIGITS} digits (got {})", digits.len()));
                }
                Ok(self.sequence_probe(self.digit_sequence(&digits)))
            }
            TaskKind::Induction => {
                let tokens: Vec<u32> = text
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .map(|c| {
                        let u = c.to_ascii_uppercase();
                        if ('A'..='P').contains(&u) {
                            Ok(u as u32 - 'A' as u32)
                        } else {
                            Err(format!("'{c}' is not a letter A to P"))
                        }
                    })
                    .collect::<Result<_, _>>()?;
                if tokens.len() != self.len() {
                    return Err(format!(
                        "type {} letters (got {})",
                        self.len(),
                        tokens.len()
                    ));
                }
                let mut targets: Vec<Option<u32>> =
                    next_tokens(&tokens).into_iter().map(Some).collect();
                let last = tokens.len() - 1;
                targets[last] = tokens[..last]
                    .iter()
                    .rposition(|&t| t == tokens[last])
                    .and_then(|p| tokens.get(p + 1).copied());
                Ok(Probe { tokens, targets })
            }
            TaskKind::ModAdd => {
                let numbers: Vec<u32> = text
                    .split(|c: char| c.is_whitespace() || c == '+' || c == '=' || c == ',')
                    .filter(|s| !s.is_empty())
                    .map(|s| {
                        s.parse::<u32>()
                            .ok()
                            .filter(|&n| n < MODULUS)
                            .ok_or(format!("'{s}' is not a number from 0 to 12"))
                    })
                    .collect::<Result<_, _>>()?;
                match numbers[..] {
                    [a, b] => Ok(self.sequence_probe(modadd_sequence(a, b))),
                    _ => Err("type two numbers from 0 to 12, like 7 9".to_string()),
                }
            }
            TaskKind::Text => {
                let tokens: Vec<u32> = text
                    .chars()
                    .take(self.len())
                    .map(|c| {
                        self.chars
                            .binary_search(&c)
                            .map(|i| i as u32)
                            .map_err(|_| format!("'{c}' is not in the sonnets' alphabet"))
                    })
                    .collect::<Result<_, _>>()?;
                if tokens.is_empty() {
                    return Err("type some text".to_string());
                }
                let mut targets: Vec<Option<u32>> =
                    next_tokens(&tokens).into_iter().map(Some).collect();
                if let Some(last) = targets.last_mut() {
                    *last = None;
                }
                Ok(Probe { tokens, targets })
            }
        }
    }

    /// The text a probe was typed as (the inverse of [`Task::probe_from_text`]).
    pub fn probe_text(&self, probe: &Probe) -> String {
        match self.kind {
            TaskKind::Sort | TaskKind::Reverse | TaskKind::Copy => probe.tokens[..DIGITS]
                .iter()
                .map(|t| t.to_string())
                .collect(),
            TaskKind::ModAdd => format!("{} {}", probe.tokens[0], probe.tokens[2]),
            TaskKind::Induction => probe.tokens.iter().map(|&t| self.label(t)).collect(),
            TaskKind::Text => probe
                .tokens
                .iter()
                .map(|&t| self.chars.get(t as usize).copied().unwrap_or('?'))
                .collect(),
        }
    }

    /// A generated sequence as a probe.
    fn sequence_probe(&self, (tokens, targets): (Vec<u32>, Vec<u32>)) -> Probe {
        let targets = targets.into_iter().map(Some).collect();
        Probe { tokens, targets }
    }

    /// `digits | answer`, cut to 16 inputs; targets are the next tokens (the answer digits
    /// from position 8 on).
    fn digit_sequence(&self, digits: &[u32]) -> (Vec<u32>, Vec<u32>) {
        let mut answer = digits.to_vec();
        match self.kind {
            TaskKind::Sort => answer.sort_unstable(),
            TaskKind::Reverse => answer.reverse(),
            _ => {}
        }
        let mut full = digits.to_vec();
        full.push(SEPARATOR);
        full.extend_from_slice(&answer);
        let tokens = full[..full.len() - 1].to_vec();
        let targets = full[1..].to_vec();
        (tokens, targets)
    }

    /// Where the text's training part ends (the last tenth is held out).
    fn text_train_end(&self) -> usize {
        self.text.len() * 9 / 10
    }

    /// The text window starting at `start`, targets the next characters.
    fn text_window(&self, start: usize) -> (Vec<u32>, Vec<u32>) {
        let len = self.len();
        (
            self.text[start..start + len].to_vec(),
            self.text[start + 1..start + len + 1].to_vec(),
        )
    }
}

/// What makes a task: its kind and seed (everything else is derived from them).
#[derive(serde::Serialize, serde::Deserialize)]
struct TaskSpec {
    kind: TaskKind,
    seed: u64,
}

impl serde::Serialize for Task {
    /// Writes the kind and the seed; reading makes the task again from them.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        TaskSpec {
            kind: self.kind,
            seed: self.seed,
        }
        .serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for Task {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let spec = TaskSpec::deserialize(d)?;
        Ok(Task::new(spec.kind, spec.seed))
    }
}

/// `a + b =` with target `(a + b) mod p` at the last position (and the next tokens before it).
fn modadd_sequence(a: u32, b: u32) -> (Vec<u32>, Vec<u32>) {
    let (plus, equals) = (MODULUS, MODULUS + 1);
    let tokens = vec![a, plus, b, equals];
    let targets = vec![plus, b, equals, (a + b) % MODULUS];
    (tokens, targets)
}

/// Each position's next token; the last position gets its own token (a placeholder the
/// caller overwrites or leaves unscored).
fn next_tokens(tokens: &[u32]) -> Vec<u32> {
    let mut out: Vec<u32> = tokens.iter().skip(1).copied().collect();
    out.push(tokens.last().copied().unwrap_or(0));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rng() -> NnRng {
        rng_from_seed(7)
    }

    #[test]
    fn sort_sequences_end_in_the_sorted_digits() {
        let task = Task::new(TaskKind::Sort, 0);
        let (tokens, targets) = task.sample(&mut rng());
        assert_eq!(tokens.len(), 16);
        assert_eq!(tokens[8], SEPARATOR);
        let mut digits = tokens[..8].to_vec();
        digits.sort_unstable();
        assert_eq!(&targets[8..], &digits[..]);
        // Teacher forcing: the inputs after the separator are the answer shifted by one.
        assert_eq!(&tokens[9..], &digits[..7]);
        assert_eq!(task.scored().iter().filter(|&&s| s).count(), 8);
    }

    #[test]
    fn reverse_and_copy_answer_as_named() {
        let reverse = Task::new(TaskKind::Reverse, 0)
            .probe_from_text("12345678")
            .unwrap();
        let answers: Vec<u32> = reverse.targets[8..].iter().map(|t| t.unwrap()).collect();
        assert_eq!(answers, vec![8, 7, 6, 5, 4, 3, 2, 1]);
        let copy = Task::new(TaskKind::Copy, 0)
            .probe_from_text("1234 5678")
            .unwrap();
        let answers: Vec<u32> = copy.targets[8..].iter().map(|t| t.unwrap()).collect();
        assert_eq!(answers, vec![1, 2, 3, 4, 5, 6, 7, 8]);
    }

    #[test]
    fn induction_has_one_earlier_a_and_asks_for_the_token_after_it() {
        let task = Task::new(TaskKind::Induction, 0);
        let mut r = rng();
        for _ in 0..200 {
            let (tokens, targets) = task.sample(&mut r);
            let a = tokens[15];
            let earlier: Vec<usize> = (0..15).filter(|&i| tokens[i] == a).collect();
            assert_eq!(earlier.len(), 1, "{tokens:?}");
            assert_eq!(targets[15], tokens[earlier[0] + 1]);
        }
        let probe = task
            .probe_from_text(&task.probe_text(&task.default_probe()))
            .unwrap();
        assert_eq!(probe, task.default_probe());
    }

    #[test]
    fn modadd_holds_out_half_the_pairs_and_answers_mod_13() {
        let task = Task::new(TaskKind::ModAdd, 3);
        let (train, held) = task.modadd_pairs();
        assert_eq!(train.len() + held.len(), 169);
        assert!(held.iter().all(|p| !train.contains(p)));
        let batch = task.held_out(1000, 1);
        assert_eq!(batch.sequences(), held.len());
        for i in 0..batch.sequences() {
            let t = batch.tokens_of(i);
            assert_eq!(batch.targets_of(i)[3], (t[0] + t[2]) % 13);
        }
        assert!(task.probe_from_text("13 1").is_err());
        assert_eq!(task.probe_from_text("7+9").unwrap().targets[3], Some(3));
    }

    #[test]
    fn text_windows_come_from_their_part_and_round_trip() {
        let task = Task::new(TaskKind::Text, 0);
        assert_eq!(task.vocab(), 62);
        let probe = task.default_probe();
        assert_eq!(task.probe_text(&probe), "Shall I compare thee to a summer");
        assert_eq!(probe.targets.last(), Some(&None));
        assert!(task.probe_from_text("é").is_err());
        let held = task.held_out(10, 0);
        assert_eq!(held.sequences(), 10);
        assert!(held.tokens.iter().all(|&t| (t as usize) < task.vocab()));
    }

    #[test]
    fn held_out_sequences_differ_from_training_ones_and_repeat_for_a_seed() {
        let task = Task::new(TaskKind::Sort, 0);
        let a = task.held_out(100, 5);
        assert_eq!(a, task.held_out(100, 5));
        let mut train = task.empty_batch();
        task.fill_batch(100, &mut rng_from_seed(5), &mut train);
        assert_ne!(a.tokens, train.tokens);
    }

    #[test]
    fn every_task_makes_tokens_inside_its_vocabulary() {
        for kind in TaskKind::ALL {
            let task = Task::new(kind, 1);
            let mut batch = task.empty_batch();
            task.fill_batch(50, &mut rng(), &mut batch);
            assert_eq!(batch.sequences(), 50);
            let v = task.vocab() as u32;
            assert!(
                batch.tokens.iter().chain(&batch.targets).all(|&t| t < v),
                "{kind}"
            );
            let probe = task.default_probe();
            assert_eq!(probe.tokens.len(), probe.targets.len());
            assert_eq!(TaskKind::from_name(kind.name()), Some(kind));
        }
    }
}
