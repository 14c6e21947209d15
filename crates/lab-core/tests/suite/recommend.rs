//! The recommender's data, gradients, training and fold-in, on MovieLens ml-latest-small as
//! `cargo xtask setup` converts it into www/assets/recommend/.

use std::path::PathBuf;

use burn::tensor::{Tensor, TensorData};
use lab_core::asset::sha256_hex;
use lab_core::backend::BackendKind;
use lab_core::optim::OptimizerKind;
use lab_core::recommend::data::{ASSET, Batch, MovieLens, Rating, Triple};
use lab_core::recommend::model::{self, Parts, Penalty};
use lab_core::recommend::suggest::MovieSide;
use lab_core::recommend::trainer::{EPOCHS, RecommendSpec, RecommendTrainer};

use crate::common::device;

fn read_asset() -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../www/assets/recommend")
        .join(ASSET.file);
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run `cargo xtask setup`", path.display()))
}

fn movielens() -> MovieLens {
    MovieLens::from_asset(&read_asset()).expect("the served asset reads")
}

#[test]
fn served_asset_is_the_pinned_bytes_and_reads_back_whole() {
    let bytes = read_asset();
    assert_eq!(bytes.len() as u64, ASSET.size);
    assert_eq!(sha256_hex(&bytes), ASSET.sha256);
    let data = MovieLens::from_asset(&bytes).unwrap();
    // ml-latest-small's README: 100,004 ratings by 671 users; 9,066 of its movies are rated.
    assert_eq!(
        (data.users.len(), data.movies.len(), data.rating_count()),
        (671, 9_066, 100_004)
    );
    assert!(
        data.users.iter().all(|r| r.len() >= 20),
        "every user rated 20 or more"
    );
    assert_eq!(data.movies[0].title, "Toy Story (1995)");
    assert_eq!(data.to_asset().unwrap(), bytes, "the format round-trips");
    let (train, test) = data.split();
    assert_eq!(train.len() + test.len(), 100_004);
    // Each user's latest tenth, rounded up.
    let expected: usize = data.users.iter().map(|r| r.len().div_ceil(10)).sum();
    assert_eq!(test.len(), expected);
    assert_eq!(test.len(), 10_299, "as Python counts it from ratings.csv");
}

#[test]
fn a_damaged_asset_is_refused_with_a_reason() {
    let bytes = read_asset();
    assert!(MovieLens::from_asset(&bytes[..bytes.len() / 2]).is_err());
    let mut data = movielens();
    data.users[0][0].stars = 0.0;
    let error = MovieLens::from_asset(&data.to_asset().unwrap()).unwrap_err();
    assert!(error.contains("0 stars"), "{error}");
    let mut data = movielens();
    data.users[3][1].movie = 9_066;
    let error = MovieLens::from_asset(&data.to_asset().unwrap()).unwrap_err();
    assert!(error.contains("9066"), "{error}");
}

/// A few users and movies with values that are not special anywhere.
fn small_model(device: &burn::tensor::Device) -> (Parts, Batch) {
    let tensor1 = |values: &[f32]| {
        Tensor::<1>::from_data(TensorData::new(values.to_vec(), [values.len()]), device)
    };
    let tensor2 = |values: &[f32], k: usize| {
        Tensor::<2>::from_data(
            TensorData::new(values.to_vec(), [values.len() / k, k]),
            device,
        )
    };
    let parts = Parts {
        global: tensor1(&[3.4]),
        user_bias: tensor1(&[0.2, -0.3, 0.1]),
        movie_bias: tensor1(&[-0.1, 0.4, 0.05, -0.2]),
        tastes: Some((
            tensor2(&[0.3, -0.2, 0.5, 0.1, 0.4, -0.3], 2),
            tensor2(&[0.2, 0.1, -0.4, 0.3, 0.25, -0.15, 0.05, 0.35], 2),
        )),
    };
    let ratings = [
        (0, 0, 4.0),
        (0, 2, 2.5),
        (1, 1, 5.0),
        (1, 3, 3.0),
        (2, 0, 1.5),
        (2, 2, 4.5),
        (0, 1, 3.5),
    ];
    let triples: Vec<Triple> = ratings
        .iter()
        .map(|&(user, movie, stars)| Triple { user, movie, stars })
        .collect();
    (parts, Batch::new(&triples, device))
}

/// Every gradient of the factorisation's loss (tastes and biases, penalty included) against
/// central finite differences in f64-sized steps of the f32 loss.
#[test]
fn gradients_match_finite_differences() {
    let device = device(BackendKind::Flex);
    let (parts, batch) = small_model(&device);
    let l2 = Penalty {
        biases: 0.03,
        tastes: 0.07,
    };
    let (p, q) = parts.tastes.clone().unwrap();
    let tracked = Parts {
        global: parts.global.clone().require_grad(),
        user_bias: parts.user_bias.clone().require_grad(),
        movie_bias: parts.movie_bias.clone().require_grad(),
        tastes: Some((p.clone().require_grad(), q.clone().require_grad())),
    };
    let grads = model::loss(&tracked, &batch, l2).backward();
    let (tp, tq) = tracked.tastes.clone().unwrap();
    let autodiff: Vec<Vec<f32>> = [
        tracked.global.grad(&grads).unwrap(),
        tracked.user_bias.grad(&grads).unwrap(),
        tracked.movie_bias.grad(&grads).unwrap(),
        tp.grad(&grads).unwrap().flatten(0, 1),
        tq.grad(&grads).unwrap().flatten(0, 1),
    ]
    .into_iter()
    .map(|g| g.into_data().try_to_vec::<f32>().unwrap())
    .collect();

    let host = |t: Tensor<1>| t.into_data().try_to_vec::<f32>().unwrap();
    let values: Vec<Vec<f32>> = vec![
        host(parts.global.clone()),
        host(parts.user_bias.clone()),
        host(parts.movie_bias.clone()),
        host(p.clone().flatten(0, 1)),
        host(q.clone().flatten(0, 1)),
    ];
    let rebuild = |values: &[Vec<f32>]| {
        let t1 =
            |v: &Vec<f32>| Tensor::<1>::from_data(TensorData::new(v.clone(), [v.len()]), &device);
        let t2 = |v: &Vec<f32>| {
            Tensor::<2>::from_data(TensorData::new(v.clone(), [v.len() / 2, 2]), &device)
        };
        Parts {
            global: t1(&values[0]),
            user_bias: t1(&values[1]),
            movie_bias: t1(&values[2]),
            tastes: Some((t2(&values[3]), t2(&values[4]))),
        }
    };
    let loss_at = |values: &[Vec<f32>]| host(model::loss(&rebuild(values), &batch, l2))[0];
    let step = 1e-2f32;
    let mut checked = 0;
    for (group, group_values) in values.iter().enumerate() {
        for i in 0..group_values.len() {
            let mut up = values.clone();
            up[group][i] += step;
            let mut down = values.clone();
            down[group][i] -= step;
            let numeric = (loss_at(&up) - loss_at(&down)) / (2.0 * step);
            let analytic = autodiff[group][i];
            assert!(
                (numeric - analytic).abs() <= 2e-3 + 1e-2 * analytic.abs(),
                "parameter group {group} entry {i}: autodiff {analytic}, finite differences {numeric}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 1 + 3 + 4 + 6 + 8);
}

fn trained(
    kind: BackendKind,
    optimizer: OptimizerKind,
) -> (
    RecommendTrainer,
    Vec<lab_core::recommend::trainer::Evaluation>,
) {
    let data = movielens();
    let (train, test) = data.split();
    let device = device(kind);
    let mut trainer = RecommendTrainer::new(
        &RecommendSpec::for_optimizer(optimizer),
        (data.users.len(), data.movies.len()),
        train,
        test,
        &device,
    );
    let mut history = Vec::new();
    while trainer.epochs() < EPOCHS {
        let next = trainer.epochs().floor() + 1.0;
        while trainer.epochs() < next {
            trainer.step();
        }
        let evaluation = pollster::block_on(trainer.evaluate()).unwrap();
        println!(
            "{optimizer:?} epoch {:.1}: factorisation train {:.4} test {:.4}, biases test {:.4}, mean test {:.4}",
            evaluation.epochs,
            evaluation.factorization_train,
            evaluation.factorization_test,
            evaluation.biases_test,
            evaluation.mean_test
        );
        history.push(evaluation);
    }
    (trainer, history)
}

/// Held-out RMSE: the factorisation below the biases below the global mean, and falling.
#[test]
fn factorisation_beats_biases_beats_the_mean_on_held_out_ratings() {
    let (_, history) = trained(BackendKind::Flex, OptimizerKind::Adam);
    let first = history.first().unwrap();
    let last = history.last().unwrap();
    assert!(last.factorization_test < first.factorization_test);
    assert!(
        last.factorization_train < last.factorization_test,
        "{last:?}"
    );
    assert!(last.biases_test < last.mean_test, "{last:?}");
    assert!(last.factorization_test < last.biases_test, "{last:?}");
}

/// The visitor folded in: loving three animated films and hating three horror films keeps horror
/// out of the top ten, and each suggestion's shares sum to its prediction above μ + b_movie.
#[test]
fn a_folded_in_visitor_gets_explained_suggestions() {
    let (trainer, _) = trained(BackendKind::Flex, OptimizerKind::Adam);
    let side: MovieSide = pollster::block_on(trainer.movie_side()).unwrap();
    let data = movielens();
    let find = |title: &str| data.movies.iter().position(|m| m.title == title).unwrap() as u32;
    let ratings: Vec<Rating> = [
        ("Toy Story (1995)", 5.0),
        ("Finding Nemo (2003)", 5.0),
        ("Monsters, Inc. (2001)", 4.5),
        ("Exorcist, The (1973)", 0.5),
        ("Shining, The (1980)", 1.0),
        ("Silence of the Lambs, The (1991)", 1.0),
    ]
    .iter()
    .map(|&(title, stars)| Rating {
        movie: find(title),
        stars,
    })
    .collect();
    let visitor = side.fold_in(&ratings).unwrap();
    let candidates: Vec<u32> = (0..data.movies.len() as u32).collect();
    let suggestions = side.suggest(&visitor, &candidates, 10);
    for s in &suggestions {
        println!(
            "{:.2} {} shares {:?}",
            s.stars, data.movies[s.movie as usize].title, s.shares
        );
        assert!(
            ratings.iter().all(|r| r.movie != s.movie),
            "rated movies are not suggested"
        );
    }
    assert_eq!(suggestions.len(), 10);
    assert!(suggestions.windows(2).all(|w| w[0].stars >= w[1].stars));
    for s in &suggestions {
        let above = s.stars - side.global - side.bias[s.movie as usize];
        let sum: f32 = s.shares.iter().map(|b| b.1).sum();
        assert!((sum - above).abs() < 1e-3, "shares {sum} against {above}");
        assert_eq!(s.shares.len(), ratings.len());
    }
    let horror = 1 << 10;
    assert!(
        suggestions
            .iter()
            .filter(|s| data.movies[s.movie as usize].genres & horror != 0)
            .count()
            == 0,
        "no horror film for a visitor who hated three"
    );
    let map = side.map(&candidates[..500]);
    assert_eq!(map.len(), 500);
    assert!(map.iter().all(|p| p[0].is_finite() && p[1].is_finite()));
}

/// The SGD family trains too, at its own learning rate: the held-out RMSE falls below the mean's.
#[test]
fn momentum_trains_the_factorisation_as_well() {
    let (_, history) = trained(BackendKind::Flex, OptimizerKind::Momentum);
    let last = history.last().unwrap();
    assert!(last.factorization_test < last.mean_test, "{last:?}");
    assert!(last.biases_test < last.mean_test, "{last:?}");
}
