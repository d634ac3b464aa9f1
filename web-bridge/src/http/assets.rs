//! The page's files: embedded in the binary (so it runs from any directory) or read from `--static-dir`.

use std::path::{Path, PathBuf};

use crate::Error;

/// The page as built into the binary: (path, bytes).
const EMBEDDED: &[(&str, &[u8])] = &[
    ("index.html", include_bytes!("../../../web/index.html")),
    ("app.js", include_bytes!("../../../web/app.js")),
    ("style.css", include_bytes!("../../../web/style.css")),
];

#[derive(Debug, Clone)]
pub(crate) enum Assets {
    Embedded,
    /// A canonical folder; nothing outside it is ever served.
    Dir(PathBuf),
}

/// A file to send: its bytes and content type.
#[derive(Debug)]
pub(crate) struct Asset {
    pub(crate) body: Vec<u8>,
    pub(crate) content_type: &'static str,
}

impl Assets {
    pub(crate) fn new(static_dir: Option<&Path>) -> Result<Self, Error> {
        match static_dir {
            None => Ok(Self::Embedded),
            Some(dir) => dir
                .canonicalize()
                .map(Self::Dir)
                .map_err(|source| Error::StaticDir {
                    path: dir.to_owned(),
                    source,
                }),
        }
    }

    /// The file at a URL path such as `/app.js`; `/` means `index.html`. `None` for anything unsafe or missing.
    pub(crate) async fn get(&self, url_path: &str) -> Option<Asset> {
        let relative = safe_relative(url_path)?;
        let content_type = content_type(&relative);
        match self {
            Self::Embedded => {
                EMBEDDED
                    .iter()
                    .find(|(name, _)| *name == relative)
                    .map(|(_, body)| Asset {
                        body: body.to_vec(),
                        content_type,
                    })
            }
            Self::Dir(root) => {
                let path = root.join(&relative).canonicalize().ok()?;
                // Symlinks may not lead out of the folder either.
                if !path.starts_with(root) || !path.is_file() {
                    return None;
                }
                tokio::fs::read(&path)
                    .await
                    .ok()
                    .map(|body| Asset { body, content_type })
            }
        }
    }
}

/// A relative path made only of plain segments: no `..`, no `.`, no hidden files, no backslashes, no
/// percent-escapes (which could hide any of those), no drive letters.
fn safe_relative(url_path: &str) -> Option<String> {
    let trimmed = url_path.trim_start_matches('/');
    let trimmed = if trimmed.is_empty() || trimmed.ends_with('/') {
        format!("{trimmed}index.html")
    } else {
        trimmed.to_owned()
    };
    let ok = trimmed.split('/').all(|segment| {
        !segment.is_empty()
            && !segment.starts_with('.')
            && !segment.contains(['\\', '%', ':', '\0'])
    });
    ok.then_some(trimmed)
}

fn content_type(path: &str) -> &'static str {
    let ext = path
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "gif" => "image/gif",
        "jpg" | "jpeg" => "image/jpeg",
        "ico" => "image/x-icon",
        "webp" => "image/webp",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_traversal_and_hidden_paths() {
        assert_eq!(safe_relative("/"), Some("index.html".into()));
        assert_eq!(safe_relative("/js/index.js"), Some("js/index.js".into()));
        assert_eq!(safe_relative("/../etc/passwd"), None);
        assert_eq!(safe_relative("/a/../../b"), None);
        assert_eq!(safe_relative("/%2e%2e/x"), None);
        assert_eq!(safe_relative("/.git/config"), None);
        assert_eq!(safe_relative("/a\\..\\b"), None);
        assert_eq!(safe_relative("//etc/passwd"), Some("etc/passwd".into()));
    }

    #[tokio::test]
    async fn embedded_page_has_content_types() {
        let a = Assets::Embedded.get("/").await.expect("index");
        assert_eq!(a.content_type, "text/html; charset=utf-8");
        assert_eq!(
            Assets::Embedded
                .get("/app.js")
                .await
                .expect("js")
                .content_type,
            "text/javascript; charset=utf-8"
        );
        assert!(Assets::Embedded.get("/nope.js").await.is_none());
    }
}
