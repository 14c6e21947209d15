//! Article 2.3, recommender systems: matrix factorisation on MovieLens ratings, trained live
//! beside a bias-only model (`lab_core::recommend`); the visitor rates a few movies, is folded in
//! as a new user, and gets explained suggestions, all without their ratings leaving the page.
//!
//! The asset is fetched once, its size and sha256 checked before it is read or cached. One task
//! owns the trainer (training.rs); the visitor's panel (visitor.rs) only reads what it publishes.

mod training;
mod visitor;

use std::rc::Rc;

use lab_core::optim::OptimizerKind;
use lab_core::recommend::data::{ASSET, MovieLens, Triple};
use lab_core::recommend::suggest::MovieSide;
use lab_core::recommend::trainer::{EPOCHS, Evaluation};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::demos::Demo;
use crate::i18n::{Lang, Message, Text, tr, use_lang};
use crate::runtime::backend::use_backend;
use crate::runtime::download::fetch_pinned;
use crate::runtime::job::Job;
use crate::runtime::url;
use crate::widgets::line_chart::{LineChart, Series};
use crate::widgets::problem::Problem;
use crate::widgets::run_controls::{RunControls, RunState};
use crate::widgets::weights_file::{WeightsFile, WeightsPort};

pub const DEMO: Demo = Demo {
    id: "recommend",
    section: "2.3",
    title: Text::new("推荐系统：电影评分", "Recommender systems: movie ratings"),
    summary: Text::new(
        "在 MovieLens 的十万条真实评分上现场训练矩阵分解，和只学偏置的模型比较；给几部电影打分，你会作为新用户被“折叠”进模型，得到附带理由的推荐。评分只在本页计算。",
        "Train matrix factorisation live on 100,000 real MovieLens ratings beside a bias-only model; rate a few movies and you are folded in as a new user, with suggestions that say why. Your ratings stay in this page.",
    ),
    guide: Text::new(
        "推荐系统用几个数字描述每个用户和每部电影，再用它们的乘积预测评分。训练时两条测试误差曲线之间的差距，就是这组“口味”数字的价值；给几部电影打分，看推荐怎样随之改变。",
        "A recommender describes every user and every movie by a few numbers and predicts a rating from their product. The gap between the two held-out error curves is what those taste numbers are worth; rate a few movies and watch the suggestions change.",
    ),
    view: || view! { <Recommend /> }.into_any(),
};

/// Training and read-back per frame, to leave the page room to draw.
const FRAME_BUDGET_MS: f64 = 12.0;

/// The ratings, split, how often each movie was rated in training, and the movies in that
/// order (most rated first), sorted once here rather than at every evaluation.
struct Data {
    movielens: MovieLens,
    train: Vec<Triple>,
    test: Vec<Triple>,
    popularity: Vec<u32>,
    most_rated: Vec<u32>,
}

/// What the visitor chose; a change starts training afresh.
#[derive(Clone, Copy, PartialEq)]
struct Settings {
    optimizer: OptimizerKind,
    /// Bumped by "reset".
    resets: u32,
}

#[derive(Clone, Copy)]
struct State {
    settings: RwSignal<Settings>,
    data: RwSignal<Option<Rc<Data>>, LocalStorage>,
    running: RwSignal<bool>,
    steps_per_second: RwSignal<f32>,
    history: RwSignal<Vec<Evaluation>>,
    /// The factorisation's movie side after the latest evaluation.
    side: RwSignal<Option<Rc<MovieSide>>, LocalStorage>,
    problem: RwSignal<Option<Message>>,
    /// Both models saved and loaded as one file.
    weights: WeightsPort,
}

#[component]
fn Recommend() -> impl IntoView {
    let optimizer = url::query("opt")
        .and_then(|id| OptimizerKind::from_id(&id))
        .unwrap_or(OptimizerKind::Adam);
    let state = State {
        settings: RwSignal::new(Settings {
            optimizer,
            resets: 0,
        }),
        data: RwSignal::new_local(None),
        running: RwSignal::new(false),
        steps_per_second: RwSignal::new(0.0),
        history: RwSignal::new(Vec::new()),
        side: RwSignal::new_local(None),
        problem: RwSignal::new(None),
        weights: WeightsPort::new(DEMO.id),
    };
    let loading = RwSignal::new(None::<String>);
    let lang = use_lang();
    Effect::new(move |_| {
        let s = state.settings.get();
        url::set_query(&[("opt", s.optimizer.id().into())]);
    });
    spawn_local(async move {
        match load(lang.get_untracked(), loading).await {
            Ok(data) => state.data.set(Some(Rc::new(data))),
            Err(message) => state.problem.set(Some(message)),
        }
        loading.set(None);
    });
    spawn_local(training::training_loop(
        Job::new(FRAME_BUDGET_MS),
        state,
        use_backend(),
    ));
    view! {
        <p class="hint">{tr(
            "数据：MovieLens ml-latest-small（GroupLens 研究组，明尼苏达大学；671 位用户对 9,066 部电影的 100,004 条评分，仅限非商业用途，许可见 assets/recommend/README.txt）。引用：F. Maxwell Harper, Joseph A. Konstan. The MovieLens Datasets: History and Context. ACM TiiS 5(4), 2015。每位用户最新的十分之一评分留作测试。",
            "Data: MovieLens ml-latest-small (GroupLens Research, University of Minnesota; 100,004 ratings of 9,066 movies by 671 users, non-commercial use only, licence in assets/recommend/README.txt). Acknowledgement: F. Maxwell Harper and Joseph A. Konstan. The MovieLens Datasets: History and Context. ACM TiiS 5(4), 2015. Each user's latest tenth of ratings is held out for testing.",
        )}</p>
        <Controls state=state />
        {move || loading.get().map(|what| view! { <p class="status" data-testid="recommend-loading">{what}</p> })}
        <Problem problem=state.problem testid="recommend-problem" />
        <WeightsFile port=state.weights prefix="recommend"
            ready=Signal::derive(move || state.history.with(|h| !h.is_empty())) />
        <Curves state=state />
        <visitor::VisitorPanel state=state />
    }
}

/// Fetches the asset (cache first; size and sha256 checked before it is read or cached), then
/// reads and splits it.
async fn load(lang: Lang, loading: RwSignal<Option<String>>) -> Result<Data, Message> {
    let url = format!("assets/recommend/{}", ASSET.file);
    let bytes = fetch_pinned(
        &url,
        (ASSET.file, ASSET.size, ASSET.sha256),
        ("评分数据", "The ratings"),
        lang,
        loading,
    )
    .await?;
    let movielens = MovieLens::from_asset(bytes.bytes()).map_err(|e| {
        Message::new(
            format!("评分数据格式不对：{e}"),
            format!("The ratings file is malformed: {e}"),
        )
    })?;
    let (train, test) = movielens.split();
    let mut popularity = vec![0u32; movielens.movies.len()];
    for rating in &train {
        popularity[rating.movie as usize] += 1;
    }
    let mut most_rated: Vec<u32> = (0..popularity.len() as u32).collect();
    most_rated.sort_by_key(|&m| std::cmp::Reverse(popularity[m as usize]));
    Ok(Data {
        movielens,
        train,
        test,
        popularity,
        most_rated,
    })
}

#[component]
fn Controls(state: State) -> impl IntoView {
    let update = move |f: &dyn Fn(&mut Settings)| {
        state.running.set(false);
        state.settings.update(|s| f(s));
    };
    let run = RunState {
        running: state.running,
        ready: Signal::derive(move || state.data.with(Option::is_some)),
        optimizer: Signal::derive(move || state.settings.get().optimizer),
        epochs: Signal::derive(move || state.history.with(|h| h.last().map(|e| e.epochs))),
        total_epochs: EPOCHS,
        steps_per_second: state.steps_per_second.into(),
    };
    view! {
        <div class="controls">
            <RunControls prefix="recommend" run=run
                on_optimizer=move |kind| update(&|s: &mut Settings| s.optimizer = kind)
                on_reset=move |()| update(&|s: &mut Settings| s.resets += 1) />
        </div>
    }
}

/// Train and held-out RMSE over the epochs, the bias-only model's and the global mean's beside.
#[component]
fn Curves(state: State) -> impl IntoView {
    let points = move |f: fn(&Evaluation) -> f32| {
        state
            .history
            .with(|h| h.iter().map(|e| (e.epochs, f(e))).collect::<Vec<_>>())
    };
    let series = move |name: &str, color, value: fn(&Evaluation) -> f32| Series {
        name: name.into(),
        color,
        points: points(value),
    };
    let errors = Signal::derive(move || {
        vec![
            series("train", "#1f77b4", |e| e.factorization_train),
            series("test", "#ff7f0e", |e| e.factorization_test),
            series("biases", "#7f7f7f", |e| e.biases_test),
            series("mean", "#bcbd22", |e| e.mean_test),
        ]
    });
    let last = move || state.history.with(|h| h.last().copied());
    view! {
        <div data-testid="recommend-rmse" data-test-rmse=move || serde_json::to_string(&points(|e| e.factorization_test).iter().map(|p| p.1).collect::<Vec<_>>()).unwrap_or_default()>
            <h2 class="chart-title">{tr(
                "均方根误差（星）：矩阵分解的训练（蓝）与测试（橙），只学偏置的模型（灰）和全局平均（黄绿）的测试",
                "RMSE in stars: factorisation train (blue) and test (orange); held-out for the bias-only model (grey) and the global mean (olive)",
            )}</h2>
            <LineChart name="rmse" series=errors x_label=Signal::derive(move || tr("轮", "epoch")().to_string()) />
        </div>
        {move || last().map(|e| view! {
            <table class="scores" data-testid="recommend-scores"
                data-factorization=e.factorization_test.to_string() data-biases=e.biases_test.to_string() data-mean=e.mean_test.to_string()>
                <tr><th>{tr("模型", "model")}</th><th>{tr("测试 RMSE", "held-out RMSE")}</th></tr>
                <tr><td>{tr("全局平均", "global mean")}</td><td>{format!("{:.4}", e.mean_test)}</td></tr>
                <tr><td>{tr("偏置：μ + b用户 + b电影", "biases: μ + b_user + b_movie")}</td><td>{format!("{:.4}", e.biases_test)}</td></tr>
                <tr><td>{tr("矩阵分解：偏置 + p用户·q电影", "factorisation: biases + p_user·q_movie")}</td><td>{format!("{:.4}", e.factorization_test)}</td></tr>
            </table>
        })}
    }
}
