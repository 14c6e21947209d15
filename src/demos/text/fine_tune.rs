//! The article's `labels=[1]` step, live: the visitor labels sentences and a fresh classifier
//! head is trained on the frozen encoder's sentence vectors, under the demo's frame-paced job.

use burn::nn::Linear;
use burn::tensor::activation::softmax;
use burn::tensor::{Tensor, TensorData};
use lab_core::text::training::{HeadTrainer, restore_head, save_head};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::TextModels;
use super::link::{EXAMPLES_KEY, examples_value, parse_examples};
use crate::i18n::{Lang, Message, tr, use_lang};
use crate::runtime::backend::{Failure, read_back, use_backend};
use crate::runtime::frame::now_ms;
use crate::runtime::job::{Job, StepsPerFrame};
use crate::runtime::model_asset::{Loaded, ModelAsset};
use crate::runtime::url;
use crate::widgets::line_chart::{LineChart, Series};
use crate::widgets::problem::Problem;
use crate::widgets::text_limit::bound_text;
use crate::widgets::weights_file::{WeightsFile, WeightsPort};

/// The visitor's sentences to start the fine-tuning with: 1 positive, 0 negative.
const TRAINING_EXAMPLES: [(&str, usize); 6] = [
    ("这家店的服务真周到", 1),
    ("味道好极了，下次还来", 1),
    ("屏幕清晰，电池也耐用", 1),
    ("等了一个小时还没上菜", 0),
    ("客服态度恶劣，不推荐", 0),
    ("衣服洗一次就褪色了", 0),
];
const FINETUNE_STEPS: usize = 150;
const FINETUNE_LEARNING_RATE: f64 = 0.05;
/// The most sentences the visitor may label: each is one encoder pass before training starts.
const MAX_EXAMPLES: usize = 32;

/// The visitor's labelled sentences and the head trained on them.
#[component]
pub(super) fn FineTune(
    asset: ModelAsset<TextModels>,
    text: RwSignal<String>,
    job: Job,
) -> impl IntoView {
    let backend = use_backend();
    let defaults = TRAINING_EXAMPLES.map(|(t, l)| (t.to_string(), l)).to_vec();
    let linked = url::query(EXAMPLES_KEY);
    let examples = RwSignal::new(parse_examples(linked.as_deref(), &defaults, MAX_EXAMPLES));
    // The sentences as a link holds them, written at each edit (a change, not a key), and the
    // notice when some do not fit.
    let link = Memo::new(move |_| examples.with(|e| examples_value(e, &defaults)));
    Effect::new(move |_| url::set_query_or_remove(&[(EXAMPLES_KEY, link.with(|l| l.0.clone()))]));
    let lang = use_lang();
    let curve = RwSignal::new(Vec::<(f32, f32)>::new());
    // P(positive) of each example, then of the sentence above, under the trained head.
    let predictions = RwSignal::new(Vec::<f32>::new());
    let running = RwSignal::new(false);
    let problem = RwSignal::new(None::<Message>);
    let run_token = StoredValue::new(0u32);
    // The head trained or loaded last and its steps, for "Download weights".
    let trained = StoredValue::new_local(None::<(Linear, usize)>);
    let has_head = RwSignal::new(false);
    let weights = WeightsPort::new(super::DEMO.id);
    // A new model or device invalidates the trained head.
    Effect::new(move |_| {
        asset.version.track();
        run_token.update_value(|t| *t += 1);
        curve.set(Vec::new());
        predictions.set(Vec::new());
        running.set(false);
        trained.set_value(None);
        has_head.set(false);
    });
    Effect::new(move |_| {
        if !weights.save_requested() {
            return;
        }
        let (Some(loaded), Some((head, steps))) = (asset.loaded.get_value(), trained.get_value())
        else {
            return;
        };
        spawn_local(async move {
            weights.offer(save_head(&head, &loaded.manifest.name, steps).await);
        });
    });
    // A loaded head replaces the one trained (a run in progress is stopped) and scores the
    // sentences; a head for another encoder leaves everything as it was.
    Effect::new(move |_| {
        let Some(file) = weights.loaded_file() else {
            return;
        };
        let Some(loaded) = asset.loaded.get_value() else {
            return;
        };
        let hidden = loaded.manifest.config.hidden_size;
        let head = match restore_head(&file, &loaded.manifest.name, hidden, &loaded.device()) {
            Ok(head) => head,
            Err(why) => return weights.refuse(why),
        };
        run_token.update_value(|t| *t += 1);
        running.set(false);
        curve.set(Vec::new());
        trained.set_value(Some((head.clone(), file.steps as usize)));
        has_head.set(true);
        weights.accept(&file);
        let texts: Vec<String> = examples
            .get_untracked()
            .into_iter()
            .map(|(t, _)| t)
            .collect();
        let sentence = text.get_untracked();
        spawn_local(async move {
            let mut texts: Vec<&str> = texts.iter().map(String::as_str).collect();
            if loaded.model.reader().encode(&sentence).is_ok() {
                texts.push(&sentence);
            }
            let scored = async {
                let features = loaded
                    .model
                    .sentence_vectors(&texts, &loaded.active)
                    .await?;
                positive(&head, features, &loaded).await
            };
            let scored = scored.await;
            match scored {
                Ok(positive) => predictions.set(positive),
                Err(failure) => backend.handle(failure, |m| problem.set(Some(m))),
            }
        });
    });
    let start = move |_| {
        let Some(loaded) = asset.loaded.get_value() else {
            return;
        };
        let labelled: Vec<(String, usize)> = examples
            .get_untracked()
            .into_iter()
            .filter(|(t, _)| !t.trim().is_empty())
            .collect();
        if !labelled.iter().any(|(_, l)| *l == 0) || !labelled.iter().any(|(_, l)| *l == 1) {
            problem.set(Some(Message::new(
                "至少要有一句正面和一句负面的句子。",
                "Label at least one positive and one negative sentence.",
            )));
            return;
        }
        problem.set(None);
        let token = run_token.get_value() + 1;
        run_token.set_value(token);
        let job = job.clone();
        running.set(true);
        curve.set(Vec::new());
        spawn_local(async move {
            let current = move || run_token.get_value() == token;
            let outcome = fine_tune(
                &loaded,
                &labelled,
                &text.get_untracked(),
                job,
                current,
                |losses, probabilities| {
                    curve.set(losses.to_vec());
                    predictions.set(probabilities.to_vec());
                },
            )
            .await;
            if run_token.get_value() == token {
                running.set(false);
            }
            match outcome {
                // A head loaded meanwhile stopped this run and took its place.
                Ok(_) if run_token.get_value() != token => {}
                Ok(head) => {
                    trained.set_value(Some(head));
                    has_head.set(true);
                }
                Err(failure) => backend.handle(failure, |m| problem.set(Some(m))),
            }
        });
    };
    let series = Signal::derive(move || {
        vec![Series {
            name: "loss".into(),
            color: "#d62728",
            points: curve.get(),
        }]
    });
    view! {
        <h2>{tr("现场微调：你来标注", "Fine-tune live: your labels")}</h2>
        <p class="hint">{tr(
            "文章里的 labels=[1] 这一步：BERT 本身不动，只在它的句向量上训练一个全新的分类头。改写句子、切换标签，再训练，看预测怎么变。",
            "The article's labels=[1] step: BERT itself stays frozen and a brand-new classifier head is trained on its sentence vectors. Edit the sentences, flip the labels, train again and watch the predictions change.",
        )}</p>
        <LabelledSentences examples=examples predictions=predictions problem=problem />
        {move || link.with(|l| l.1.clone()).map(|m| view! {
            <p class="hint" data-testid="finetune-link-cut">{move || m.get(lang.get()).to_string()}</p>
        })}
        <button data-testid="finetune-add" disabled=move || examples.with(|e| e.len() >= MAX_EXAMPLES)
            on:click=move |_| examples.update(|e| e.push((String::new(), 1)))>{tr("加一句", "Add a sentence")}</button>
        <button data-testid="finetune-start" disabled=move || running.get() on:click=start>
            {move || if running.get() { tr("训练中…", "Training…")() } else { tr("训练分类头", "Train the head")() }}
        </button>
        <Problem problem=problem testid="finetune-problem" />
        <WeightsFile port=weights prefix="finetune" ready=has_head.into() />
        <div data-testid="finetune-loss" data-losses=move || serde_json::to_string(&curve.get().iter().map(|p| p.1).collect::<Vec<_>>()).unwrap_or_default()>
            <LineChart name="fine-tune-loss" series=series x_label=Signal::derive(move || tr("步", "step")().to_string()) />
        </div>
        {move || {
            let all = predictions.get();
            let n = examples.get().len();
            all.get(n).map(|p| view! {
                <p data-testid="finetune-sentence">{tr("上面那句话在新分类头下：", "The sentence above, under the new head: ")}{format!("P(+) {:.1}%", p * 100.0)}</p>
            })
        }}
    }
}

/// The visitor's sentences, each with its label and, once trained, the head's P(positive).
#[component]
fn LabelledSentences(
    examples: RwSignal<Vec<(String, usize)>>,
    predictions: RwSignal<Vec<f32>>,
    problem: RwSignal<Option<Message>>,
) -> impl IntoView {
    let lang = use_lang();
    let numbered = move |i: usize, zh: &str, en: &str| match lang.get() {
        Lang::Zh => format!("{zh} {}", i + 1),
        Lang::En => format!("{en} {}", i + 1),
    };
    view! {
        <ul class="finetune-examples" data-testid="finetune-examples">
            {move || examples.get().into_iter().enumerate().map(|(i, (sentence, label))| {
                let p = predictions.get().get(i).copied();
                view! {
                    <li>
                        <input class="text-input" prop:value=sentence.clone() aria-label=move || numbered(i, "句子", "Sentence")
                            on:change=move |ev| {
                                let (kept, notice) = bound_text(event_target_value(&ev));
                                examples.update(|e| e[i].0 = kept);
                                problem.set(notice);
                            } />
                        <button class="label-toggle" data-label=label
                            on:click=move |_| examples.update(|e| e[i].1 = 1 - e[i].1)>
                            {move || if label == 1 { tr("正面", "positive")() } else { tr("负面", "negative")() }}
                        </button>
                        <span class="value" data-testid="finetune-prediction">{p.map(|p| format!("P(+) {:.0}%", p * 100.0))}</span>
                        <button aria-label=move || numbered(i, "移除句子", "Remove sentence")
                            on:click=move |_| examples.update(|e| { e.remove(i); })>"×"</button>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

/// Trains a fresh head on the frozen encoder's sentence vectors of `labelled`, as many steps a
/// frame as fit the job's budget (measured through the read-back, which is where WebGPU's queued
/// steps cost), reporting the (step, loss) points so far and P(positive) of every example and of
/// `sentence` after each frame. Returns the trained head and its steps.
async fn fine_tune(
    loaded: &Loaded<TextModels>,
    labelled: &[(String, usize)],
    sentence: &str,
    mut job: Job,
    current: impl Fn() -> bool,
    report: impl Fn(&[(f32, f32)], &[f32]),
) -> Result<(Linear, usize), Failure> {
    let mut texts: Vec<&str> = labelled.iter().map(|(t, _)| t.as_str()).collect();
    // The sentence above is scored too, but never trained on; if it is empty it is left out.
    if loaded.model.reader().encode(sentence).is_ok() {
        texts.push(sentence);
    }
    let features = loaded
        .model
        .sentence_vectors(&texts, &loaded.active)
        .await?;
    let [_, size] = features.dims();
    let host = read_back(features.clone(), &loaded.active).await?;
    let train_rows = labelled.len();
    let train = Tensor::<2>::from_data(
        TensorData::new(host[..train_rows * size].to_vec(), [train_rows, size]),
        &loaded.active.device,
    );
    let labels: Vec<usize> = labelled.iter().map(|(_, l)| *l).collect();
    let device = &loaded.active.device;
    let mut trainer = HeadTrainer::new(train, &labels, 2, FINETUNE_LEARNING_RATE, 7, device);
    let mut steps = StepsPerFrame::new(FINETUNE_STEPS);
    let mut losses = Vec::new();
    while trainer.steps() < FINETUNE_STEPS && current() {
        if !job.frame().await {
            return Err(Failure::Cancelled);
        }
        let started = now_ms();
        let mut last = trainer.step();
        for _ in 1..steps.get().min(FINETUNE_STEPS - trainer.steps() + 1) {
            last = trainer.step();
        }
        let loss = read_back(last, &loaded.active).await?;
        losses.push((trainer.steps() as f32, loss[0]));
        let positive = positive(&trainer.head(), features.clone(), loaded).await?;
        report(&losses, &positive);
        steps.adapt(now_ms() - started, job.budget_ms());
    }
    Ok((trainer.head(), trainer.steps()))
}

/// P(positive) under `head` of each sentence whose vector is a row of `features`.
async fn positive(
    head: &Linear,
    features: Tensor<2>,
    loaded: &Loaded<TextModels>,
) -> Result<Vec<f32>, Failure> {
    let probabilities = read_back(softmax(head.forward(features), 1), &loaded.active).await?;
    Ok(probabilities.chunks(2).map(|p| p[1]).collect())
}
