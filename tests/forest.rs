//! The random forest against independent recomputations: every split is the best a brute
//! force search finds, node counts add up, out-of-bag accuracy and the running
//! [`Ensemble`] agree with a recount, a seed gives the same forest on any thread count,
//! `leaf_after` walks the tree as it was after its first splits, and forests learn XOR and
//! MNIST. File round trips and corrupt files are in `forest_file.rs`.

mod common;

use netviz::data::plane::{Dataset2d, DatasetKind};
use netviz::forest::{
    Criterion, Ensemble, Forest, ForestConfig, LEAF, MaxFeatures, Node, Table, Tree,
};
use netviz::nn::init::rng_from_seed;
use rand::Rng;

/// A small table with few distinct values per feature (ties and duplicates).
fn small_table(seed: u64, rows: usize, cols: usize, classes: usize, levels: u32) -> Table {
    let mut rng = rng_from_seed(seed);
    let mut values = Vec::new();
    let mut labels = Vec::new();
    for _ in 0..rows {
        let row: Vec<f32> = (0..cols)
            .map(|_| rng.random_range(0..levels) as f32 * 0.5 - 1.0)
            .collect();
        // A label that depends on the features, with some noise.
        let score = row[0] + if cols > 1 { row[1] * 0.5 } else { 0.0 };
        let mut label = ((score + 2.0).max(0.0) as usize) % classes;
        if rng.random_range(0..5) == 0 {
            label = rng.random_range(0..classes);
        }
        values.extend(row);
        labels.push(label as u8);
    }
    Table::from_f32(values, rows, cols, labels, classes).expect("table")
}

/// The same values as 8-bit features.
fn as_u8(table: &Table) -> Table {
    let values = (0..table.rows)
        .flat_map(|r| (0..table.cols).map(move |c| (r, c)))
        .map(|(r, c)| ((table.value(r, c) + 1.0) * 2.0) as u8 * 3)
        .collect();
    Table::from_u8(
        values,
        table.rows,
        table.cols,
        table.labels.clone(),
        table.classes,
    )
    .expect("u8 table")
}

fn impurity(criterion: Criterion, counts: &[f64]) -> f64 {
    let w: f64 = counts.iter().sum();
    if w == 0.0 {
        return 0.0;
    }
    match criterion {
        Criterion::Gini => 1.0 - counts.iter().map(|c| (c / w) * (c / w)).sum::<f64>(),
        Criterion::Entropy => -counts
            .iter()
            .filter(|c| **c > 0.0)
            .map(|c| (c / w) * (c / w).log2())
            .sum::<f64>(),
    }
}

/// The training rows (with their bag weights) that reach `node`.
fn rows_at(tree: &Tree, table: &Table, bag: &[u32], node: usize) -> Vec<usize> {
    (0..table.rows)
        .filter(|&r| bag[r] > 0 && tree.path(&table.row_f32(r)).contains(&node))
        .collect()
}

/// `(decrease, samples left, samples right)` of splitting `rows` on `feature` at `threshold`.
fn decrease(
    table: &Table,
    bag: &[u32],
    rows: &[usize],
    feature: usize,
    threshold: f32,
    criterion: Criterion,
) -> (f64, usize, usize) {
    let c = table.classes;
    let (mut all, mut left, mut right) = (vec![0.0; c], vec![0.0; c], vec![0.0; c]);
    let (mut nl, mut nr) = (0, 0);
    for &r in rows {
        let w = f64::from(bag[r]);
        let y = usize::from(table.labels[r]);
        all[y] += w;
        if table.value(r, feature) <= threshold {
            left[y] += w;
            nl += 1;
        } else {
            right[y] += w;
            nr += 1;
        }
    }
    let s = |v: &[f64]| v.iter().sum::<f64>();
    let d = s(&all) * impurity(criterion, &all)
        - s(&left) * impurity(criterion, &left)
        - s(&right) * impurity(criterion, &right);
    (d, nl, nr)
}

/// Every valid `(decrease, feature, threshold)` of `rows` by brute force.
fn all_splits(
    table: &Table,
    bag: &[u32],
    rows: &[usize],
    criterion: Criterion,
    min_leaf: usize,
) -> Vec<(f64, usize, f32)> {
    let mut out = Vec::new();
    for f in 0..table.cols {
        let mut values: Vec<f32> = rows.iter().map(|&r| table.value(r, f)).collect();
        values.sort_by(f32::total_cmp);
        values.dedup();
        for pair in values.windows(2) {
            let t = pair[0] / 2.0 + pair[1] / 2.0;
            let (d, nl, nr) = decrease(table, bag, rows, f, t, criterion);
            if nl >= min_leaf && nr >= min_leaf {
                out.push((d, f, t));
            }
        }
    }
    out
}

/// Checks every node of every tree of `forest` against a brute-force search over all
/// features (the config must use `MaxFeatures::All`).
fn check_best_splits(forest: &Forest, table: &Table) {
    let cfg = &forest.config;
    for tree in &forest.trees {
        let bag = Forest::in_bag(cfg, tree.index, table.rows);
        for (i, node) in tree.nodes.iter().enumerate() {
            let rows = rows_at(tree, table, &bag, i);
            assert_eq!(
                rows.len(),
                node.samples as usize,
                "tree {} node {i}",
                tree.index
            );
            let splits = all_splits(table, &bag, &rows, cfg.criterion, cfg.min_samples_leaf);
            let best = splits.iter().map(|s| s.0).fold(f64::NEG_INFINITY, f64::max);
            let may_split = rows.len() >= cfg.min_samples_split
                && f64::from(node.impurity) > 1e-12
                && cfg.max_depth.is_none_or(|d| (node.depth as usize) < d);
            if node.feature == LEAF {
                assert!(
                    !may_split || splits.is_empty(),
                    "tree {} node {i} is a leaf but {} splits exist (best {best})",
                    tree.index,
                    splits.len()
                );
                continue;
            }
            let (d, _, _) = decrease(
                table,
                &bag,
                &rows,
                node.feature as usize,
                node.threshold,
                cfg.criterion,
            );
            assert!(
                d >= best - 1e-9 * f64::from(node.weight),
                "tree {} node {i}: split decrease {d} below the best {best}",
                tree.index
            );
            assert!((d - f64::from(node.decrease)).abs() <= 1e-4 * d.abs().max(1.0));
            // Where the best is unique, it is exactly the split made.
            let near: Vec<_> = splits.iter().filter(|s| s.0 >= best - 1e-9).collect();
            if near.len() == 1 {
                assert_eq!(
                    (near[0].1, near[0].2),
                    (node.feature as usize, node.threshold)
                );
            }
        }
    }
}

#[test]
fn every_split_is_the_best_a_brute_force_search_finds() {
    // 700 rows: the top of the tree reads the feature-major table, nodes of at most 512 rows
    // a packed block.
    for (seed, criterion, bootstrap, min_leaf, rows) in [
        (1, Criterion::Gini, false, 1, 60),
        (2, Criterion::Entropy, false, 1, 60),
        (3, Criterion::Gini, true, 1, 60),
        (4, Criterion::Entropy, true, 2, 60),
        (5, Criterion::Gini, true, 3, 60),
        (6, Criterion::Gini, true, 1, 700),
    ] {
        let table = small_table(seed, rows, 4, 3, 6);
        let config = ForestConfig {
            trees: 4,
            criterion,
            max_features: MaxFeatures::All,
            bootstrap,
            min_samples_leaf: min_leaf,
            seed,
            threads: 1,
            ..ForestConfig::default()
        };
        let forest = Forest::fit(&table, &config).expect("fit");
        check_best_splits(&forest, &table);
        // The same values as 8-bit features (the histogram search) give the same splits.
        let forest8 = Forest::fit(&as_u8(&table), &config).expect("fit u8");
        check_best_splits(&forest8, &as_u8(&table));
        for (a, b) in forest.trees.iter().zip(&forest8.trees) {
            let shape = |t: &Tree| {
                t.nodes
                    .iter()
                    .map(|n| (n.feature, n.left))
                    .collect::<Vec<_>>()
            };
            assert_eq!(shape(a), shape(b), "seed {seed}");
        }
    }
}

#[test]
fn node_counts_add_up_and_leaves_are_consistent() {
    let table = small_table(7, 200, 5, 4, 10);
    for criterion in [Criterion::Gini, Criterion::Entropy] {
        let config = ForestConfig {
            trees: 5,
            criterion,
            seed: 7,
            threads: 2,
            ..ForestConfig::default()
        };
        let forest = Forest::fit(&table, &config).expect("fit");
        for tree in &forest.trees {
            let bag = Forest::in_bag(&config, tree.index, table.rows);
            let root = &tree.nodes[0];
            assert_eq!(root.weight, table.rows as f32);
            assert_eq!(
                root.samples as usize,
                bag.iter().filter(|&&b| b > 0).count()
            );
            assert_eq!((root.parent, root.depth), (LEAF, 0));
            for (i, n) in tree.nodes.iter().enumerate() {
                let counts: Vec<f64> = tree.node_counts(i).iter().map(|&c| f64::from(c)).collect();
                assert_eq!(counts.iter().sum::<f64>(), f64::from(n.weight));
                let imp = impurity(criterion, &counts);
                assert!(
                    (imp - f64::from(n.impurity)).abs() < 1e-5,
                    "{imp} {}",
                    n.impurity
                );
                let p: f32 = tree.proba(i).iter().sum();
                assert!((p - 1.0).abs() < 1e-5);
                if n.feature == LEAF {
                    assert_eq!(n.decrease, 0.0);
                    continue;
                }
                let (l, r): (&Node, &Node) =
                    (&tree.nodes[n.left as usize], &tree.nodes[n.right as usize]);
                assert_eq!(l.samples + r.samples, n.samples);
                assert_eq!(l.weight + r.weight, n.weight);
                assert_eq!((l.parent, r.parent), (i as u32, i as u32));
                assert_eq!((l.depth, r.depth), (n.depth + 1, n.depth + 1));
                for k in 0..table.classes {
                    assert_eq!(
                        tree.node_counts(n.left as usize)[k]
                            + tree.node_counts(n.right as usize)[k],
                        tree.node_counts(i)[k]
                    );
                }
            }
            assert_eq!(tree.leaves(), tree.splits() + 1);
        }
    }
}

#[test]
fn out_of_bag_accuracy_matches_a_recount() {
    let table = small_table(11, 150, 3, 3, 8);
    let config = ForestConfig {
        trees: 12,
        seed: 11,
        threads: 2,
        ..ForestConfig::default()
    };
    let forest = Forest::fit(&table, &config).expect("fit");
    let bags: Vec<Vec<u32>> = (0..12)
        .map(|i| Forest::in_bag(&config, i, table.rows))
        .collect();
    for k in [1, 5, 12] {
        let oob = forest.oob(&table, k);
        let (mut scored, mut correct) = (0, 0);
        for r in 0..table.rows {
            let row = table.row_f32(r);
            let mut sum = [0.0f64; 3];
            let mut any = false;
            for (t, bag) in forest.trees[..k].iter().zip(&bags) {
                if bag[r] == 0 {
                    any = true;
                    for (s, p) in sum.iter_mut().zip(t.proba(t.leaf(&row))) {
                        *s += f64::from(p);
                    }
                }
            }
            let expected = any
                .then(|| (0..3).fold(0, |b, c| if sum[c] > sum[b] + 1e-6 { c } else { b }) as u8);
            assert_eq!(oob.predictions[r], expected, "row {r}, k {k}");
            if let Some(p) = expected {
                scored += 1;
                correct += usize::from(p == table.labels[r]);
            }
        }
        assert_eq!(oob.scored, scored);
        assert_eq!(
            oob.accuracy,
            (scored > 0).then(|| correct as f64 / scored as f64)
        );
    }
}

#[test]
fn a_seed_gives_the_same_forest_on_any_thread_count() {
    let table = small_table(13, 120, 6, 3, 12);
    let config = |threads| ForestConfig {
        trees: 9,
        seed: 13,
        threads,
        ..ForestConfig::default()
    };
    let one = Forest::fit(&table, &config(1)).expect("fit");
    let two = Forest::fit(&table, &config(2)).expect("fit");
    assert!(
        one.trees == two.trees,
        "1 and 2 threads grew different trees"
    );
    for i in 0..9 {
        assert!(
            Forest::grow_tree(&table, &config(1), i) == one.trees[i],
            "tree {i}"
        );
        assert_eq!(one.trees[i].index, i);
    }
    let other = Forest::fit(
        &table,
        &ForestConfig {
            seed: 14,
            ..config(2)
        },
    )
    .expect("fit");
    assert!(one.trees != other.trees);
}

/// Tree `tree` as it was after its first `s` splits, built by hand.
fn truncated(tree: &Tree, s: usize) -> Tree {
    let mut t = tree.clone();
    t.nodes.truncate(1 + 2 * s);
    t.counts.truncate((1 + 2 * s) * tree.classes);
    for n in &mut t.nodes {
        if n.feature != LEAF && n.left as usize > 2 * s {
            n.feature = LEAF;
        }
    }
    t
}

#[test]
fn leaf_after_walks_the_tree_as_it_was_after_its_first_splits() {
    let table = small_table(17, 150, 4, 3, 10);
    let config = ForestConfig {
        trees: 3,
        seed: 17,
        ..ForestConfig::default()
    };
    let forest = Forest::fit(&table, &config).expect("fit");
    for tree in &forest.trees {
        for r in 0..table.rows {
            let row = table.row_f32(r);
            assert_eq!(tree.leaf_after(&row, tree.splits()), tree.leaf(&row));
            assert_eq!(tree.leaf_after(&row, 0), 0);
            let path = tree.path(&row);
            assert_eq!(path.last(), Some(&tree.leaf(&row)));
            for s in 0..=tree.splits() {
                let node = tree.leaf_after(&row, s);
                assert_eq!(node, truncated(tree, s).leaf(&row), "split {s}");
                assert!(path.contains(&node));
            }
        }
    }
}

#[test]
fn forests_learn_xor_and_their_numbers_are_distributions() {
    // Four points are too few to bootstrap (a tree may miss a corner).
    for (noise, count, bootstrap) in [(0.0, 4, false), (0.1, 200, true)] {
        let data = Dataset2d::generate(DatasetKind::Xor, count, noise, 3);
        let table = Table::from_plane(&data.points, &data.labels);
        let forest = Forest::fit(
            &table,
            &ForestConfig {
                trees: 30,
                seed: 3,
                bootstrap,
                ..ForestConfig::default()
            },
        )
        .expect("fit");
        assert_eq!(forest.accuracy(&table, 30), 1.0, "noise {noise}");
        for r in 0..table.rows {
            let p = forest.predict_proba(&table.row_f32(r), 30);
            assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
            assert_eq!(forest.votes(&table.row_f32(r), 30).iter().sum::<u32>(), 30);
        }
        let imp = forest.importances(30);
        assert!((imp.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{imp:?}");
        for tree in &forest.trees {
            let ti = tree.importances(2);
            assert!(tree.splits() == 0 || (ti.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        }
    }
}

#[test]
fn the_running_ensemble_matches_the_forest_for_every_k() {
    let table = small_table(19, 120, 4, 3, 9);
    let test = small_table(20, 80, 4, 3, 9);
    let config = ForestConfig {
        trees: 10,
        seed: 19,
        ..ForestConfig::default()
    };
    let forest = Forest::fit(&table, &config).expect("fit");
    let mut train_sums = Ensemble::new(&table, 3);
    let mut test_sums = Ensemble::new(&test, 3);
    assert_eq!(train_sums.oob_accuracy(), None);
    for (k, tree) in forest.trees.iter().enumerate() {
        train_sums.add(tree, &Forest::in_bag(&config, k, table.rows));
        test_sums.add(tree, &[]);
        assert_eq!(train_sums.trees(), k + 1);
        assert_eq!(train_sums.accuracy(), forest.accuracy(&table, k + 1));
        assert_eq!(test_sums.accuracy(), forest.accuracy(&test, k + 1));
        assert_eq!(
            train_sums.oob_accuracy(),
            forest.oob(&table, k + 1).accuracy
        );
        assert_eq!(test_sums.oob_accuracy(), None);
        for r in 0..test.rows {
            let row = test.row_f32(r);
            let p = forest.predict_proba(&row, k + 1);
            for (a, b) in test_sums.proba(r).iter().zip(&p) {
                assert!((a - b).abs() < 1e-6);
            }
            assert_eq!(test_sums.votes(r), forest.votes(&row, k + 1).as_slice());
        }
    }
}

#[test]
fn settings_and_tables_out_of_range_are_refused() {
    let table = small_table(1, 10, 2, 2, 4);
    for config in [
        ForestConfig {
            trees: 0,
            ..ForestConfig::default()
        },
        ForestConfig {
            min_samples_split: 1,
            ..ForestConfig::default()
        },
        ForestConfig {
            min_samples_leaf: 0,
            ..ForestConfig::default()
        },
        ForestConfig {
            max_depth: Some(0),
            ..ForestConfig::default()
        },
        ForestConfig {
            max_features: MaxFeatures::Fraction(1.5),
            ..ForestConfig::default()
        },
    ] {
        assert!(Forest::fit(&table, &config).is_err(), "{config:?}");
    }
    assert!(Table::from_f32(vec![0.0; 3], 2, 2, vec![0, 1], 2).is_err());
    assert!(Table::from_f32(vec![f32::NAN; 4], 2, 2, vec![0, 1], 2).is_err());
    assert!(Table::from_u8(vec![0; 4], 2, 2, vec![0, 2], 2).is_err());
    for (text, parsed) in [
        ("sqrt", MaxFeatures::Sqrt),
        ("log2", MaxFeatures::Log2),
        ("all", MaxFeatures::All),
        ("0.3", MaxFeatures::Fraction(0.3)),
        ("7", MaxFeatures::Count(7)),
    ] {
        assert_eq!(text.parse::<MaxFeatures>().ok(), Some(parsed));
        assert_eq!(parsed.to_string(), text);
    }
    for bad in ["2.5", "0", "0.0", "-1", "half", ""] {
        assert!(bad.parse::<MaxFeatures>().is_err(), "{bad}");
    }
    assert_eq!(MaxFeatures::Sqrt.resolve(784), 28);
    assert_eq!(MaxFeatures::Log2.resolve(784), 9);
    assert_eq!(MaxFeatures::Count(9).resolve(4), 4);
    assert_eq!(MaxFeatures::Fraction(0.01).resolve(4), 1);
}

#[test]
fn a_small_mnist_forest_is_sensible() {
    use netviz::data::mnist::{self, DirSource, Quiet};
    let dir = common::mnist_server::shared_mnist_dir();
    let data = mnist::load(&dir, DirSource::Flag, &[], &mut Quiet).expect("load MNIST");
    let pixels = 28 * 28;
    let n = 4000;
    let table = Table::from_u8(
        data.train_images.pixels[..n * pixels].to_vec(),
        n,
        pixels,
        data.train_labels[..n].to_vec(),
        10,
    )
    .expect("table");
    let test = Table::from_u8(
        data.test_images.pixels[..2000 * pixels].to_vec(),
        2000,
        pixels,
        data.test_labels[..2000].to_vec(),
        10,
    )
    .expect("test table");
    let forest = Forest::fit(
        &table,
        &ForestConfig {
            trees: 30,
            ..ForestConfig::default()
        },
    )
    .expect("fit");
    // scikit-learn 1.9 with 30 trees: 0.85 on 2,000 training images.
    let acc = forest.accuracy(&test, 30);
    assert!(acc > 0.85, "test accuracy {acc}");
    let oob = forest.oob(&table, 30).accuracy.unwrap_or(0.0);
    assert!(oob > 0.8, "oob accuracy {oob}");
    // Border pixels are never used.
    assert_eq!(forest.importances(30)[0], 0.0);
}

/// Runs the binary with `args`.
fn netviz(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_netviz"))
        .args(args)
        .env_remove("NETVIZ_DATA_DIR")
        .output()
        .expect("run netviz")
}

#[test]
fn forest_train_on_xor_prints_a_perfect_last_line_and_saves_a_forest() {
    let dir = std::env::temp_dir().join(format!("netviz-forest-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let out_path = dir.join("xor.forest");
    let out = netviz(&[
        "forest",
        "train",
        "--dataset",
        "xor",
        "--trees",
        "20",
        "--out",
        &out_path.display().to_string(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last = stdout.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("test_accuracy=1.0000 oob_accuracy="),
        "{last}"
    );
    assert!(last.contains(" fit_seconds="), "{last}");
    let forest = Forest::load(&out_path).expect("load the written forest");
    assert_eq!(
        (forest.trees.len(), forest.n_features, forest.classes),
        (20, 2, 2)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_forest_flags_are_one_line_and_exit_2() {
    for args in [
        &["forest", "train", "--trees", "0"][..],
        &["forest", "train", "--max-features", "2.5"],
        &["forest", "train", "--min-samples-leaf", "0"],
        &["forest", "train", "--min-samples-split", "1"],
        &["forest", "train", "--criterion", "variance"],
        &["forest", "train", "--dataset", "iris"],
        &["forest", "train", "--dataset", "xor", "--noise", "-1"],
        &["forest", "train", "--train-count", "60001"],
        &["forest", "train", "--dataset", "xor", "--out", "/"],
        &["bench", "forest", "--workload", "F9"],
    ] {
        let out = netviz(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}
