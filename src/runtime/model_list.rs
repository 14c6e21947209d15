//! The listing half of [`super::model_asset`]: the models a folder's `index.json` names, each
//! with its manifest read and checked. A folder whose manifest cannot be used is left out with
//! its reason, so that one bad model never hides the others.

use std::sync::Arc;

use leptos::prelude::*;
use serde::Deserialize;

use super::download;
use super::model_asset::{Entry, LoadState, ModelAsset, ModelKind};
use crate::i18n::Message;

/// `index.json` beside the model folders (written by the converter and by setup): the folders
/// present.
#[derive(Deserialize)]
struct ModelIndex {
    models: Vec<String>,
}

pub(super) async fn list<K: ModelKind>(asset: ModelAsset<K>) {
    let listed = list_models::<K>().await.map(|(list, unlisted)| {
        asset.unlisted.set(unlisted.clone());
        (list, unlisted)
    });
    match listed {
        // Every model failed: the first reason is the page's message.
        Ok((list, unlisted)) if list.is_empty() && !unlisted.is_empty() => {
            asset.state.set(LoadState::Failed(unlisted[0].clone()))
        }
        Ok((list, _)) if list.is_empty() => asset.state.set(LoadState::Failed(K::NONE.into())),
        Ok((list, _)) => {
            if !list.iter().any(|m| m.id == asset.selected.get_untracked()) {
                let preferred = list.iter().find(|m| Some(m.id.as_str()) == K::PREFERRED);
                asset.selected.set(preferred.unwrap_or(&list[0]).id.clone());
            }
            asset.models.set(list);
        }
        Err(why) => asset.state.set(LoadState::Failed(why)),
    }
}

/// Each model folder under `K::DIR` with its manifest, in the index's order, and a message for
/// each folder whose manifest could not be read or was refused: one bad model does not hide the
/// others.
async fn list_models<K: ModelKind>() -> Result<(Vec<Entry<K>>, Vec<Message>), Message> {
    let dir = K::DIR;
    let (text, _) = download::fetch_text_fresh(&format!("{dir}/index.json"))
        .await
        .map_err(|e| unavailable(&e))?;
    let index: ModelIndex = serde_json::from_str(&text).map_err(|e| unavailable(&e))?;
    let mut entries = Vec::new();
    let mut unlisted = Vec::new();
    for id in index.models {
        // The id goes into URLs: a name that is not a plain folder name is not fetched.
        if !lab_core::asset::is_plain_name(&id) {
            unlisted.push(unreadable(&id, &"not a plain folder name"));
            continue;
        }
        let manifest = match download::fetch_text_fresh(&format!("{dir}/{id}/manifest.json")).await
        {
            Ok((text, _)) => K::parse(text.as_bytes()).map_err(|e| unreadable(&id, &e)),
            Err(e) => Err(unreadable(&id, &e)),
        };
        match manifest {
            Ok(manifest) => entries.push(Entry {
                id,
                manifest: Arc::new(manifest),
            }),
            Err(message) => unlisted.push(message),
        }
    }
    Ok((entries, unlisted))
}

/// The message for one model left out of the list.
fn unreadable(id: &str, why: &dyn std::fmt::Display) -> Message {
    Message::new(
        format!("模型 {id} 无法使用，已略过：{why}"),
        format!("The model {id} cannot be used and was left out: {why}"),
    )
}

/// The message for a model list or manifest that cannot be read.
fn unavailable(why: &dyn std::fmt::Display) -> Message {
    Message::new(
        format!("无法读取模型列表：{why}"),
        format!("Could not read the list of models: {why}"),
    )
}
