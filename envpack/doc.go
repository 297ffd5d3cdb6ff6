// Package envpack owns Spindle's relocatable Python environments: packing a
// venv or conda environment into a deterministic tar.gz (optionally with its
// base interpreter bundled), unpacking such an archive safely, activating the
// unpacked copy at whatever path it landed on (prefix fix-ups, environment
// variables, a start check of its Python), a fast fingerprint of an
// environment folder for "pack once per content", and the per-user
// content-addressed cache of archives on HDFS.
//
// Archive layout: the environment's files at the root, in sorted order, with
// fixed times and owners; with --standalone the base interpreter's prefix
// under BaseDir; and last the manifest at ManifestPath, which lists the
// fix-ups Activate applies.
package envpack
