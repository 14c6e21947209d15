//! MovieLens' `ratings.csv` and `movies.csv` (as lenskit ships ml-latest-small) to the
//! recommender's [`MovieLens`]: only the movies someone rated, indexed in movie-id order, and
//! each user's ratings oldest first (ties broken by movie id, so the split is deterministic).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use lab_core::recommend::data::{GENRES, Movie, MovieLens, Rating};

/// Reads both files, refusing a malformed row by its line number.
pub fn read(ratings: &Path, movies: &Path) -> Result<MovieLens, String> {
    let mut by_user: BTreeMap<u32, Vec<(u64, u32, f32)>> = BTreeMap::new();
    for (line, row) in records(ratings, &["userId", "movieId", "rating", "timestamp"])? {
        let field = |i: usize| -> Result<&str, String> {
            row.get(i)
                .ok_or(format!("{}: line {line} is short", ratings.display()))
        };
        let parse_err = |what: &str| format!("{}: line {line} has a bad {what}", ratings.display());
        let user: u32 = field(0)?.parse().map_err(|_| parse_err("userId"))?;
        let movie: u32 = field(1)?.parse().map_err(|_| parse_err("movieId"))?;
        let stars: f32 = field(2)?.parse().map_err(|_| parse_err("rating"))?;
        let time: u64 = field(3)?.parse().map_err(|_| parse_err("timestamp"))?;
        if !(0.5..=5.0).contains(&stars) || (stars * 2.0).fract() != 0.0 {
            return Err(parse_err("rating (not 0.5–5 in half stars)"));
        }
        by_user.entry(user).or_default().push((time, movie, stars));
    }
    let mut titles: HashMap<u32, Movie> = HashMap::new();
    for (line, row) in records(movies, &["movieId", "title", "genres"])? {
        let [id, title, genres] = [0, 1, 2].map(|i| row.get(i).unwrap_or_default());
        let id: u32 = id
            .parse()
            .map_err(|_| format!("{}: line {line} has a bad movieId", movies.display()))?;
        let mut bits = 0u32;
        for genre in genres.split('|').filter(|g| *g != "(no genres listed)") {
            let index = GENRES
                .iter()
                .position(|(name, _)| *name == genre)
                .ok_or_else(|| {
                    format!("{}: line {line}: unknown genre {genre}", movies.display())
                })?;
            bits |= 1 << index;
        }
        titles.insert(
            id,
            Movie {
                title: title.to_string(),
                genres: bits,
            },
        );
    }
    let mut rated: Vec<u32> = by_user
        .values()
        .flat_map(|r| r.iter().map(|&(_, movie, _)| movie))
        .collect();
    rated.sort_unstable();
    rated.dedup();
    let index: HashMap<u32, u32> = rated
        .iter()
        .enumerate()
        .map(|(i, &m)| (m, i as u32))
        .collect();
    let movies = rated
        .iter()
        .map(|id| {
            titles
                .get(id)
                .cloned()
                .ok_or_else(|| format!("movie {id} is rated but not in movies.csv"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let users = by_user
        .into_values()
        .map(|mut ratings| {
            ratings.sort_by_key(|&(time, movie, _)| (time, movie));
            ratings
                .into_iter()
                .map(|(_, movie, stars)| Rating {
                    movie: index[&movie],
                    stars,
                })
                .collect()
        })
        .collect();
    Ok(MovieLens { movies, users })
}

/// The rows of a CSV file after its header, which must be `header`, with their line numbers.
fn records(path: &Path, header: &[&str]) -> Result<Vec<(u64, csv::StringRecord)>, String> {
    let mut reader =
        csv::Reader::from_path(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let found = reader
        .headers()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if found.iter().ne(header.iter().copied()) {
        return Err(format!(
            "{}: the header is not {}",
            path.display(),
            header.join(",")
        ));
    }
    reader
        .records()
        .map(|row| {
            let row = row.map_err(|e| format!("{}: {e}", path.display()))?;
            let line = row.position().map_or(0, |p| p.line());
            Ok((line, row))
        })
        .collect()
}
