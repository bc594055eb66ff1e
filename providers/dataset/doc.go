// Package dataset is evalplan's dataset provider: it resolves a dataset block's source (a path
// or glob relative to the configuration directory, file://, http(s)://, hf://), fetches remote
// sources into a content-addressed cache with resumable, size-limited, verified downloads,
// manages that cache (Status, Clear), and streams records out of dataset files (Read) in
// JSON Lines, JSON, CSV and Parquet.
//
// Cache layout under <cache_dir>/datasets:
//
//	sha256/<hex><ext>        a fetched file, named by the sha256 of its bytes, with the
//	                         source's extension so the format can be told from it
//	sha256/<hex>.meta.json   its sidecar: {source, name, size, fetched_at}
//	sources/<key>.json       source index: sha256(source as written) → hex, so a source
//	                         without a declared sha256 is found again without network
//	partial/<key>.partial    a download in progress (key = declared sha256, else the
//	                         source key), resumed with HTTP Range by the next attempt;
//	                         <key>.partial.json holds the URL and validators (ETag,
//	                         Last-Modified, sent as If-Range) and <key>.lock serialises
//	                         processes fetching the same dataset
//	local/<key>.json         memo of local files' hashes, keyed by path, size and mtime
//
// Local sources are never copied. A directory or glob source is identified by one sha256 over
// its files: the sha256 of the text made of one line "<sha256>  <relpath>\n" per file, sorted
// by relpath, where relpath is slash-separated and relative to the directory (for a glob, to
// the longest leading part of the pattern without glob characters) — the format of
// sha256sum's output, so `sha256sum` can reproduce it.
//
// The package imports plan, plan/config and plan/display from evalplan, never other providers.
package dataset
