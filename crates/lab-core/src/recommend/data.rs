//! MovieLens ratings as the recommender reads them: the compact page asset the converter writes
//! from `ratings.csv` and `movies.csv`, the fixed split by time, and batches of (user, movie,
//! stars) on a device.

use std::collections::HashMap;

use burn::tensor::{Device, Int, Tensor, TensorData};
use safetensors::{Dtype, SafeTensors, tensor::TensorView};

/// MovieLens' genres in the order of a movie's genre bits.
pub const GENRES: [(&str, &str); 19] = [
    ("Action", "动作"),
    ("Adventure", "冒险"),
    ("Animation", "动画"),
    ("Children", "儿童"),
    ("Comedy", "喜剧"),
    ("Crime", "犯罪"),
    ("Documentary", "纪录片"),
    ("Drama", "剧情"),
    ("Fantasy", "奇幻"),
    ("Film-Noir", "黑色电影"),
    ("Horror", "恐怖"),
    ("IMAX", "IMAX"),
    ("Musical", "歌舞"),
    ("Mystery", "悬疑"),
    ("Romance", "爱情"),
    ("Sci-Fi", "科幻"),
    ("Thriller", "惊悚"),
    ("War", "战争"),
    ("Western", "西部"),
];

/// The page asset, as `model-convert movielens` writes it from lenskit's copy of ml-latest-small
/// (pinned by size and sha256: the converter is deterministic, and a native test rebuilds it).
pub struct AssetFile {
    pub file: &'static str,
    pub size: u64,
    pub sha256: &'static str,
}

pub const ASSET: AssetFile = AssetFile {
    file: "movielens-small.safetensors",
    size: 618_768,
    sha256: "7eebcdfce491bd44e1369aeaa34fe3b6c8e29b9c73802a1d97af605148f43415",
};

/// Each user's latest tenth of ratings (at least one) is held out: the test asks the model what
/// a user will think of movies they rated after everything it saw of them.
pub const TEST_FRACTION_DENOMINATOR: usize = 10;

/// A movie: its English title with the year, and its genres as bits over [`GENRES`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Movie {
    pub title: String,
    pub genres: u32,
}

impl Movie {
    /// Its first genre (MovieLens lists them alphabetically), `None` when it has none.
    pub fn first_genre(&self) -> Option<usize> {
        (self.genres != 0).then(|| self.genres.trailing_zeros() as usize)
    }
}

/// One rating: a movie index and stars (0.5 to 5 in half stars).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rating {
    pub movie: u32,
    pub stars: f32,
}

/// The whole set: the rated movies (index = position), and each user's ratings oldest first.
#[derive(Clone, Debug, PartialEq)]
pub struct MovieLens {
    pub movies: Vec<Movie>,
    pub users: Vec<Vec<Rating>>,
}

/// A rating with its user, as the model trains on it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Triple {
    pub user: u32,
    pub movie: u32,
    pub stars: f32,
}

impl MovieLens {
    pub fn rating_count(&self) -> usize {
        self.users.iter().map(Vec::len).sum()
    }

    /// The fixed split: each user's latest ratings ([`TEST_FRACTION_DENOMINATOR`]) held out.
    /// Returns (train, test).
    pub fn split(&self) -> (Vec<Triple>, Vec<Triple>) {
        let (mut train, mut test) = (Vec::new(), Vec::new());
        for (user, ratings) in self.users.iter().enumerate() {
            let held_out = ratings.len().div_ceil(TEST_FRACTION_DENOMINATOR);
            let first_test = ratings.len() - held_out;
            for (i, rating) in ratings.iter().enumerate() {
                let triple = Triple {
                    user: user as u32,
                    movie: rating.movie,
                    stars: rating.stars,
                };
                if i < first_test {
                    train.push(triple);
                } else {
                    test.push(triple);
                }
            }
        }
        (train, test)
    }

    /// The compact page asset: safetensors with each user's end offset (`user_ends`, u32), the
    /// movies rated (`movies`, u16), the stars doubled (`half_stars`, u8), each movie's genre
    /// bits (`genres`, u32), and the titles as a JSON array in the header's metadata.
    pub fn to_asset(&self) -> Result<Vec<u8>, String> {
        if self.movies.len() > usize::from(u16::MAX) + 1 {
            return Err(format!("{} movies do not fit in u16", self.movies.len()));
        }
        let mut ends = Vec::with_capacity(self.users.len());
        let (mut movies, mut half_stars) = (Vec::new(), Vec::new());
        for ratings in &self.users {
            for rating in ratings {
                movies.push(rating.movie as u16);
                half_stars.push((rating.stars * 2.0).round() as u8);
            }
            ends.push(movies.len() as u32);
        }
        let genres: Vec<u32> = self.movies.iter().map(|m| m.genres).collect();
        let le =
            |words: &[u32]| -> Vec<u8> { words.iter().flat_map(|w| w.to_le_bytes()).collect() };
        let buffers = [
            ("user_ends", Dtype::U32, le(&ends)),
            (
                "movies",
                Dtype::U16,
                movies.iter().flat_map(|m| m.to_le_bytes()).collect(),
            ),
            ("half_stars", Dtype::U8, half_stars),
            ("genres", Dtype::U32, le(&genres)),
        ];
        let mut views = Vec::new();
        for (name, dtype, bytes) in &buffers {
            let count = bytes.len() / dtype.bitsize().div_ceil(8);
            let view = TensorView::new(*dtype, vec![count], bytes).map_err(|e| e.to_string())?;
            views.push((*name, view));
        }
        let titles: Vec<&str> = self.movies.iter().map(|m| m.title.as_str()).collect();
        let metadata = HashMap::from([(
            "titles".to_string(),
            serde_json::to_string(&titles).map_err(|e| e.to_string())?,
        )]);
        safetensors::serialize(views, Some(metadata)).map_err(|e| e.to_string())
    }

    /// Reads [`MovieLens::to_asset`]'s bytes, refusing any inconsistency with a message.
    pub fn from_asset(bytes: &[u8]) -> Result<Self, String> {
        let (_, header) = SafeTensors::read_metadata(bytes).map_err(|e| e.to_string())?;
        let file = SafeTensors::deserialize(bytes).map_err(|e| e.to_string())?;
        let tensor = |name: &str, dtype: Dtype| {
            let view = file
                .tensor(name)
                .map_err(|_| format!("the asset has no `{name}` tensor"))?;
            if view.dtype() != dtype {
                return Err(format!("`{name}` is {:?}, not {dtype:?}", view.dtype()));
            }
            Ok(view.data().to_vec())
        };
        let words = |bytes: Vec<u8>| -> Vec<u32> {
            bytes
                .chunks_exact(4)
                .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
                .collect()
        };
        let ends = words(tensor("user_ends", Dtype::U32)?);
        let movies: Vec<u16> = tensor("movies", Dtype::U16)?
            .chunks_exact(2)
            .map(|w| u16::from_le_bytes([w[0], w[1]]))
            .collect();
        let half_stars = tensor("half_stars", Dtype::U8)?;
        let genres = words(tensor("genres", Dtype::U32)?);
        let titles: Vec<String> = header
            .metadata()
            .as_ref()
            .and_then(|m| m.get("titles"))
            .ok_or("the asset has no titles")
            .and_then(|t| serde_json::from_str(t).map_err(|_| "the titles are not a JSON list"))?;
        if titles.len() != genres.len() {
            return Err(format!(
                "{} titles for {} movies",
                titles.len(),
                genres.len()
            ));
        }
        if half_stars.len() != movies.len() || ends.last().copied() != Some(movies.len() as u32) {
            return Err("the ratings' columns differ in length".into());
        }
        if let Some(&movie) = movies.iter().find(|&&m| usize::from(m) >= titles.len()) {
            return Err(format!(
                "a rating names movie {movie}, which the asset lacks"
            ));
        }
        if let Some(&bad) = half_stars.iter().find(|&&h| !(1..=10).contains(&h)) {
            return Err(format!("a rating of {} stars", f32::from(bad) / 2.0));
        }
        let mut users = Vec::with_capacity(ends.len());
        let mut start = 0usize;
        for &end in &ends {
            let end = end as usize;
            // Only the last offset was checked against the ratings' length: an earlier one past
            // it, followed by the right last one, would index past the columns.
            if end < start || end > movies.len() {
                return Err("the users' offsets go backwards or past the ratings".into());
            }
            users.push(
                (start..end)
                    .map(|i| Rating {
                        movie: u32::from(movies[i]),
                        stars: f32::from(half_stars[i]) / 2.0,
                    })
                    .collect(),
            );
            start = end;
        }
        let movies = titles
            .into_iter()
            .zip(genres)
            .map(|(title, genres)| Movie { title, genres })
            .collect();
        Ok(Self { movies, users })
    }
}

/// Ratings on a device: user and movie indices `[batch]` and stars `[batch]`.
#[derive(Clone, Debug)]
pub struct Batch {
    pub users: Tensor<1, Int>,
    pub movies: Tensor<1, Int>,
    pub stars: Tensor<1>,
}

impl Batch {
    pub fn new(ratings: &[Triple], device: &Device) -> Self {
        let n = ratings.len();
        let column = |f: fn(&Triple) -> i64| -> Tensor<1, Int> {
            let values: Vec<i64> = ratings.iter().map(f).collect();
            Tensor::from_data(TensorData::new(values, [n]), device)
        };
        let stars: Vec<f32> = ratings.iter().map(|r| r.stars).collect();
        Self {
            users: column(|r| i64::from(r.user)),
            movies: column(|r| i64::from(r.movie)),
            stars: Tensor::from_data(TensorData::new(stars, [n]), device),
        }
    }
}
