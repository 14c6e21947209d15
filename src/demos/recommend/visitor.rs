//! The visitor as a new user: they find movies by title and rate them, are folded into the
//! trained factorisation (`MovieSide::fold_in`), and get a top ten with the ratings that pushed
//! each one up, beside a map of the movies' tastes. Nothing here is sent anywhere: the ratings
//! live in a signal of this page.

use lab_core::recommend::data::{GENRES, Rating};
use lab_core::recommend::suggest::Suggestion;
use leptos::prelude::*;

use super::State;
use crate::i18n::{Lang, tr, use_lang};
use crate::widgets::palette;

/// Suggestions come from movies rated at least this often in training: a movie seen by three
/// people has a bias the model cannot know yet.
const MIN_POPULARITY: u32 = 20;
const SUGGESTIONS: usize = 10;
const MATCHES: usize = 8;
/// The map shows the most rated movies, whose tastes are the best learned.
const MAP_MOVIES: usize = 300;
const MAP_SIZE: f32 = 320.0;
/// One colour per genre in the map (first genre listed), grey for the rest.
const GENRE_COLOURS: [(usize, &str); 8] = [
    (0, palette::VERMILLION),
    (2, palette::ORANGE),
    (4, palette::BLUISH_GREEN),
    (5, "#8c564b"),
    (7, palette::BLUE),
    (10, palette::REDDISH_PURPLE),
    (14, palette::YELLOW),
    (15, palette::SKY_BLUE),
];
/// A start for a visitor who would rather not search: three animated films loved, three horror
/// films disliked.
const EXAMPLE: [(&str, f32); 6] = [
    ("Toy Story (1995)", 5.0),
    ("Finding Nemo (2003)", 5.0),
    ("Monsters, Inc. (2001)", 4.5),
    ("Exorcist, The (1973)", 0.5),
    ("Shining, The (1980)", 1.0),
    ("Silence of the Lambs, The (1991)", 1.0),
];
const HALF_STARS: [f32; 10] = [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0];

#[component]
pub(super) fn VisitorPanel(state: State) -> impl IntoView {
    let lang = use_lang();
    let ratings = RwSignal::new(Vec::<Rating>::new());
    let query = RwSignal::new(String::new());
    let rate = move |movie: u32, stars: f32| {
        ratings.update(|r| {
            r.retain(|x| x.movie != movie);
            r.push(Rating { movie, stars });
        });
    };
    let title = move |movie: u32| {
        state.data.with(|d| {
            d.as_ref()
                .map(|d| d.movielens.movies[movie as usize].title.clone())
                .unwrap_or_default()
        })
    };
    let matches = move || {
        let needle = query.get().trim().to_lowercase();
        if needle.chars().count() < 2 {
            return None;
        }
        state.data.with(|d| {
            let d = d.as_ref()?;
            let mut found: Vec<u32> = (0..d.movielens.movies.len() as u32)
                .filter(|&m| {
                    d.movielens.movies[m as usize]
                        .title
                        .to_lowercase()
                        .contains(&needle)
                })
                .collect();
            found.sort_by_key(|&m| std::cmp::Reverse(d.popularity[m as usize]));
            found.truncate(MATCHES);
            Some(found)
        })
    };
    let suggestions = Memo::new(move |_| {
        let side = state.side.get()?;
        let rated = ratings.get();
        let visitor = side.fold_in(&rated)?;
        state.data.with_untracked(|d| {
            let d = d.as_ref()?;
            let candidates: Vec<u32> = d
                .most_rated
                .iter()
                .copied()
                .take_while(|&m| d.popularity[m as usize] >= MIN_POPULARITY)
                .collect();
            Some(side.suggest(&visitor, &candidates, SUGGESTIONS))
        })
    });
    let example = move |_| {
        state.data.with_untracked(|d| {
            if let Some(d) = d {
                let found = EXAMPLE.iter().filter_map(|&(name, stars)| {
                    let movie = d.movielens.movies.iter().position(|m| m.title == name)?;
                    Some(Rating {
                        movie: movie as u32,
                        stars,
                    })
                });
                ratings.set(found.collect());
            }
        });
    };
    view! {
        <h2>{tr("你的口味", "Your taste")}</h2>
        <p class="hint">{tr(
            "搜索电影（英文片名），打几个分。你的评分只留在这个页面里：模型把你当作新用户，在电影一侧固定的情况下求出你的口味向量和偏置（一个小的岭回归，精确求解），所以每条推荐都能精确拆成你每个评分的贡献。",
            "Search movies (English titles) and rate a few. Your ratings stay in this page: the model takes you as a new user and solves for your taste vector and bias with the movies' side held fixed (a small ridge regression, solved exactly), so each suggestion splits exactly into one share per rating you gave.",
        )}</p>
        <div class="controls">
            <input type="search" data-testid="recommend-search" aria-label=tr("搜索电影", "search movies")
                placeholder=tr("片名，如 Toy Story", "title, e.g. Toy Story")
                prop:value=move || query.get()
                on:input=move |ev| query.set(event_target_value(&ev)) />
            <button data-testid="recommend-example" disabled=move || state.data.with(Option::is_none) on:click=example>
                {tr("示例：爱动画、怕恐怖片", "Example: loves animation, dislikes horror")}
            </button>
            <button data-testid="recommend-clear" on:click=move |_| ratings.set(Vec::new())>{tr("清空评分", "Clear ratings")}</button>
        </div>
        {move || match matches() {
            None => ().into_any(),
            Some(found) if found.is_empty() => view! {
                <p class="notice" role="status" data-testid="recommend-no-match">{move || match lang.get() {
                    Lang::Zh => format!("没有片名包含“{}”的电影。", query.get().trim()),
                    Lang::En => format!("No movie title contains “{}”.", query.get().trim()),
                }}</p>
            }.into_any(),
            Some(found) => view! {
                <ul class="matches" data-testid="recommend-matches">
                    {found.into_iter().map(|movie| {
                        let stars = RwSignal::new(4.0f32);
                        view! {
                            <li data-testid="recommend-match">
                                <span>{title(movie)}</span>" "
                                <select aria-label=tr("星级", "stars") on:change=move |ev| {
                                    if let Ok(value) = event_target_value(&ev).parse() { stars.set(value); }
                                }>
                                    {HALF_STARS.iter().map(|&s| view! {
                                        <option value=s.to_string() selected=s == 4.0>{format!("{s:.1} ★")}</option>
                                    }).collect_view()}
                                </select>" "
                                <button data-testid="recommend-rate" on:click=move |_| rate(movie, stars.get_untracked())>{tr("评分", "Rate")}</button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }.into_any(),
        }}
        <ul class="rated" data-testid="recommend-rated">
            {move || ratings.get().into_iter().map(|r| view! {
                <li>{title(r.movie)}" · "{format!("{:.1} ★", r.stars)}" "
                    <button aria-label=tr("删除这条评分", "remove this rating")
                        on:click=move |_| ratings.update(|all| all.retain(|x| x.movie != r.movie))>"×"</button>
                </li>
            }).collect_view()}
        </ul>
        {move || match (state.side.with(Option::is_some), ratings.with(Vec::is_empty)) {
            (_, true) => view! { <p class="hint">{tr("给至少一部电影打分，就会出现推荐。", "Rate at least one movie to get suggestions.")}</p> }.into_any(),
            (false, false) => view! { <p class="hint">{tr("先训练模型（至少半轮），推荐才会出现。", "Train the model (half an epoch at least) for suggestions to appear.")}</p> }.into_any(),
            (true, false) => {
                // A reason names the visitor's own stars: a film they disliked can push another up.
                let reason = move |movie: u32| {
                    let stars = ratings.with_untracked(|r| r.iter().find(|x| x.movie == movie).map_or(0.0, |x| x.stars));
                    format!("{} {stars:.1} ★", title(movie))
                };
                view! { <SuggestionList suggestions=suggestions reason=reason title=title /> }.into_any()
            }
        }}
        <TasteMap state=state suggestions=suggestions />
    }
}

#[component]
fn SuggestionList(
    suggestions: Memo<Option<Vec<Suggestion>>>,
    /// A rated movie as a reason: its title and the visitor's stars.
    reason: impl Fn(u32) -> String + Copy + Send + Sync + 'static,
    title: impl Fn(u32) -> String + Copy + Send + Sync + 'static,
) -> impl IntoView {
    view! {
        <h3>{tr("为你推荐（预测星级；括号里是把它推高的评分和推高了多少星）", "Suggested for you (predicted stars; in brackets, your ratings that pushed it up, and by how many stars)")}</h3>
        <ol class="suggestions" data-testid="recommend-suggestions">
            {move || suggestions.get().unwrap_or_default().into_iter().map(|s| {
                let because: Vec<String> = s.shares.iter().filter(|(_, share)| *share > 0.0).take(3)
                    .map(|&(movie, share)| format!("{} +{share:.2}", reason(movie)))
                    .collect();
                view! {
                    <li data-testid="recommend-suggestion" data-movie=s.movie>
                        <strong>{title(s.movie)}</strong>{format!(" · {:.1} ★", s.stars.min(5.0))}
                        {(!because.is_empty()).then(|| view! { <span class="because">{format!(" ({})", because.join("; "))}</span> })}
                    </li>
                }
            }).collect_view()}
        </ol>
    }
}

/// The most rated movies at their tastes' two principal components, coloured by first genre;
/// the visitor's suggestions ringed.
#[component]
fn TasteMap(state: State, suggestions: Memo<Option<Vec<Suggestion>>>) -> impl IntoView {
    let lang = use_lang();
    let points = Memo::new(move |_| {
        let side = state.side.get()?;
        state.data.with_untracked(|d| {
            let d = d.as_ref()?;
            let movies = &d.most_rated[..MAP_MOVIES.min(d.most_rated.len())];
            let coordinates = side.map(movies);
            Some(movies.iter().copied().zip(coordinates).collect::<Vec<_>>())
        })
    });
    move || {
        let points = points.get()?;
        let extent = points
            .iter()
            .flat_map(|(_, p)| [p[0].abs(), p[1].abs()])
            .fold(1e-6f32, f32::max);
        let scale = (MAP_SIZE / 2.0 - 8.0) / extent;
        let suggested: Vec<u32> = suggestions
            .get()
            .unwrap_or_default()
            .iter()
            .map(|s| s.movie)
            .collect();
        let zh = lang.get() == Lang::Zh;
        let dots = state.data.with(|d| {
            let d = d.as_ref()?;
            Some(
                points
                    .iter()
                    .map(|&(movie, [x, y])| {
                        let info = &d.movielens.movies[movie as usize];
                        let genre = info.first_genre();
                        let colour = genre
                            .and_then(|g| GENRE_COLOURS.iter().find(|(i, _)| *i == g))
                            .map_or("#aaaaaa", |(_, c)| c);
                        let ringed = suggested.contains(&movie);
                        let label =
                            genre.map_or("", |g| if zh { GENRES[g].1 } else { GENRES[g].0 });
                        view! {
                            <circle cx=MAP_SIZE / 2.0 + x * scale cy=MAP_SIZE / 2.0 - y * scale
                                r=if ringed { 6.0 } else { 3.0 } fill=colour
                                stroke=if ringed { "#000" } else { "none" } stroke-width="1.5">
                                <title>{format!("{} · {label}", info.title)}</title>
                            </circle>
                        }
                    })
                    .collect_view(),
            )
        })?;
        Some(view! {
            <h3>{tr("电影口味地图（最常被评分的 300 部，口味向量的前两个主成分；颜色是第一个类型，黑圈是给你的推荐）",
                "Map of tastes (the 300 most rated movies at their taste vectors' first two principal components; colour is the first genre, black rings are your suggestions)")}</h3>
            <svg class="taste-map" data-testid="recommend-map" width=MAP_SIZE height=MAP_SIZE
                viewBox=format!("0 0 {MAP_SIZE} {MAP_SIZE}") role="img"
                aria-label=tr("电影口味地图", "map of the movies' tastes")>{dots}</svg>
            <p class="legend">{GENRE_COLOURS.iter().map(|&(g, colour)| view! {
                <span style=format!("color:{colour}")>"● "</span>
                <span>{if zh { GENRES[g].1 } else { GENRES[g].0 }}" "</span>
            }).collect_view()}</p>
        })
    }
}
