//! Article 1.1, "the article's example": a 2-input, 1-output linear network trained by gradient
//! descent on x = [1, 2], y = 1, every value of every step shown beside its formula.

use lab_core::linear_example::{ExampleStep, LinearExample, matmul_shape};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::demos::Demo;
use crate::i18n::{Lang, Text, tr, use_lang};
use crate::runtime::backend::{Backend, Failure, use_backend};
use crate::runtime::job::{Job, Place, Placement};

pub const DEMO: Demo = Demo {
    id: "linear",
    section: "1.1",
    title: Text::new(
        "文章里的例子：两输入线性网络",
        "The article's example: a two-input linear network",
    ),
    summary: Text::new(
        "一个样本 x=[1,2]、目标 y=1，用梯度下降一步步更新权重。每一步的前向输出、误差、梯度和更新都由 burn 的自动微分算出，并与公式并列。",
        "One sample x = [1, 2] with target y = 1, weights updated step by step by gradient descent. Each step's output, error, gradient and update come from burn's autodiff, set beside the formulas.",
    ),
    guide: Text::new(
        "神经网络学习的最小单位：算出输出，量出误差，再让每个权重沿梯度的反方向挪一小步。先在这里把一次更新看清楚，后面的每个演示都是把它重复成千上万次。",
        "The smallest unit of learning: compute an output, measure the error, then move each weight a little against its gradient. See one update in full here; every later demo repeats it thousands of times.",
    ),
    view: || view! { <LinearExampleDemo /> }.into_any(),
};

/// The steps' budget per frame; the table appears once every step is done.
const FRAME_BUDGET_MS: f64 = 8.0;

const BUGGY_SNIPPET: &str = "import numpy as np\nx = np.array([[1], [2]])     # 2×1 column\nw = np.random.rand(2, 1)     # 2×1 weights\ny = 1\nout = np.dot(x, w)           # ValueError!";
const FIXED_SNIPPET: &str = "x = np.array([[1, 2]])       # 1×2 row: one sample, two features\nw = np.array([[0.5], [-0.3]])  # 2×1\nfor step in range(steps):\n    out = np.dot(x, w)         # (1×2)·(2×1) = 1×1\n    error = out - y\n    grad = x.T * error         # ∂L/∂w for L = ½·error²\n    w = w - lr * grad";

#[component]
fn LinearExampleDemo() -> impl IntoView {
    let example = RwSignal::new(LinearExample::default());
    let steps = RwSignal::new(5usize);
    let history = RwSignal::new(Vec::<ExampleStep>::new());
    let failure = RwSignal::new(None::<String>);
    let job = Job::new(FRAME_BUDGET_MS);
    spawn_local(step_loop(
        job,
        (example, steps, history, failure),
        use_backend(),
        use_lang(),
    ));
    view! {
        <section class="panel formulas">
            <h2>{tr("公式", "The formulas")}</h2>
            <p class="math">"ŷ = x₁w₁ + x₂w₂ · e = ŷ − y · L = ½e² · ∂L/∂wᵢ = e·xᵢ · wᵢ ← wᵢ − η·∂L/∂wᵢ"</p>
            <Inputs example=example steps=steps failure=failure />
            {move || failure.get().map(|message| view! { <p class="notice" role="alert">{message}</p> })}
            <StepTable history=history />
        </section>
        <ShapeBug />
    }
}

/// The signals the step loop reads and writes: the inputs, the step count, the rows, a problem.
type Signals = (
    RwSignal<LinearExample>,
    RwSignal<usize>,
    RwSignal<Vec<ExampleStep>>,
    RwSignal<Option<String>>,
);

/// Runs the steps one at a time, yielding to the page when the frame's budget is spent, and
/// shows the rows once all are done. When the GPU is lost the steps done so far are kept and the
/// rest run on the CPU from the last row's weights.
async fn step_loop(mut job: Job, signals: Signals, backend: Backend, lang: RwSignal<Lang>) {
    let (example, steps, history, failure) = signals;
    let mut placement = Placement::new();
    let mut rows: Vec<ExampleStep> = Vec::new();
    let mut shown = false;
    while job.frame().await {
        let Some(active) = backend.active.get_untracked() else {
            continue;
        };
        let key = (example.get_untracked(), steps.get_untracked());
        let Some(place) = placement.place(key.clone(), active.generation) else {
            continue;
        };
        if place == Place::Fresh {
            (rows, shown) = (Vec::new(), false);
        }
        while rows.len() < key.1 && (example.get_untracked(), steps.get_untracked()) == key {
            let from = rows
                .last()
                .map_or(key.0.initial_weights, |r| r.next_weights);
            let next = LinearExample {
                initial_weights: from,
                ..key.0.clone()
            };
            match next.run(1, &active.device).await {
                Ok(row) => rows.extend(row),
                Err(why) => {
                    let what = Text::new("计算出错", "Computation failed");
                    placement.fail(backend, &active, Failure::device(&active, what, why), |m| {
                        failure.set(Some(m.get(lang.get_untracked()).to_string()))
                    });
                    break;
                }
            }
            if !job.checkpoint().await {
                return;
            }
        }
        if rows.len() == key.1 && !shown {
            history.set(rows.clone());
            shown = true;
        }
    }
}

/// The example's inputs and the step count; a value that is no finite number is refused at
/// the control and never reaches the computation.
#[component]
fn Inputs(
    example: RwSignal<LinearExample>,
    steps: RwSignal<usize>,
    failure: RwSignal<Option<String>>,
) -> impl IntoView {
    let not_a_number = tr("不是有限的数字，已忽略", "not a finite number, ignored");
    let steps_range = tr("步数须在 1 到 50 之间", "steps must be 1 to 50");
    let on_number = move |ev: &leptos::ev::Event, label: &str, set: fn(&mut LinearExample, f32)| {
        match event_target_value(ev).parse::<f32>() {
            Ok(value) if value.is_finite() => {
                failure.set(None);
                example.update(|e| set(e, value));
            }
            _ => failure.set(Some(format!("{label}: {}", not_a_number()))),
        }
    };
    let on_steps = move |ev: &leptos::ev::Event| match event_target_value(ev).parse::<usize>() {
        Ok(n) if (1..=50).contains(&n) => {
            failure.set(None);
            steps.set(n);
        }
        _ => failure.set(Some(steps_range().to_string())),
    };
    let number_input = move |label: &'static str,
                             id: &'static str,
                             get: fn(&LinearExample) -> f32,
                             set: fn(&mut LinearExample, f32)| {
        view! {
            <label class="number">
                {label}
                <input type="number" step="0.1" data-testid=id
                    prop:value=move || example.with(get).to_string()
                    on:change=move |ev| on_number(&ev, label, set) />
            </label>
        }
    };
    view! {
        <div class="controls">
            {number_input("x₁", "example-x1", |e| e.x[0], |e, v| e.x[0] = v)}
            {number_input("x₂", "example-x2", |e| e.x[1], |e, v| e.x[1] = v)}
            {number_input("y", "example-y", |e| e.y, |e, v| e.y = v)}
            {number_input("w₁⁽⁰⁾", "example-w1", |e| e.initial_weights[0], |e, v| e.initial_weights[0] = v)}
            {number_input("w₂⁽⁰⁾", "example-w2", |e| e.initial_weights[1], |e, v| e.initial_weights[1] = v)}
            {number_input("η", "example-lr", |e| e.learning_rate, |e, v| e.learning_rate = v)}
            <label class="number">{tr("步数", "Steps")}
                <input type="number" min="1" max="50" data-testid="example-steps" prop:value=move || steps.get().to_string()
                    on:change=move |ev| on_steps(&ev) />
            </label>
        </div>
    }
}

/// A row per step, every value beside its formula's column.
#[component]
fn StepTable(history: RwSignal<Vec<ExampleStep>>) -> impl IntoView {
    view! {
        <table class="steps" data-testid="example-table">
            <thead><tr>
                <th>"t"</th><th>"w₁, w₂"</th><th>"ŷ = x·w"</th><th>"e = ŷ − y"</th><th>"L = ½e²"</th>
                <th>"∂L/∂w = e·x"</th><th>"w − η·∂L/∂w"</th>
            </tr></thead>
            <tbody>
                {move || history.get().into_iter().enumerate().map(|(t, s)| view! {
                    <tr data-testid="example-row"
                        data-w1=s.weights[0] data-w2=s.weights[1] data-output=s.output data-error=s.error
                        data-loss=s.loss data-g1=s.gradient[0] data-g2=s.gradient[1]
                        data-next1=s.next_weights[0] data-next2=s.next_weights[1]>
                        <td>{t}</td>
                        <td>{format!("{:.4}, {:.4}", s.weights[0], s.weights[1])}</td>
                        <td>{format!("{:.4}", s.output)}</td>
                        <td>{format!("{:.4}", s.error)}</td>
                        <td>{format!("{:.5}", s.loss)}</td>
                        <td>{format!("{:.4}, {:.4}", s.gradient[0], s.gradient[1])}</td>
                        <td>{format!("{:.4}, {:.4}", s.next_weights[0], s.next_weights[1])}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// The article's snippet, the shape error it raises, and the corrected shapes.
#[component]
fn ShapeBug() -> impl IntoView {
    let bug = matmul_shape([2, 1], [2, 1]).expect_err("the article's shapes do not multiply");
    let fixed = matmul_shape([1, 2], [2, 1]).expect("the corrected shapes multiply");
    view! {
        <section class="panel snippet">
            <h2>{tr("文章代码里的形状错误", "The shape bug in the article's snippet")}</h2>
            <pre class="code bad">{BUGGY_SNIPPET}</pre>
            <p class="notice" data-testid="shape-error">"ValueError: "{bug}</p>
            <p>{tr(
                "矩阵乘法 a·b 要求 a 的列数等于 b 的行数。x 写成了 2×1 的列向量，w 也是 2×1，于是 (2×1)·(2×1) 无法相乘。一个样本应当是一行：x 为 1×2，(1×2)·(2×1) 得到 1×1 的输出。",
                "A matrix product a·b needs a's columns to equal b's rows. x was written as a 2×1 column and w is 2×1 too, so (2×1)·(2×1) cannot multiply. A sample is a row: x is 1×2, and (1×2)·(2×1) gives a 1×1 output.",
            )}</p>
            <pre class="code good">{FIXED_SNIPPET}</pre>
            <p>{tr("修正后的形状：", "Corrected shape: ")}{format!("(1×2)·(2×1) = {}×{}", fixed[0], fixed[1])}
               {tr("。上表就是这段修正代码在 burn 上运行的结果。", ". The table above is this corrected code, run with burn.")}</p>
        </section>
    }
}
