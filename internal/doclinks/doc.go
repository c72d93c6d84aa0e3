// Package doclinks holds the test that checks the repository's Markdown
// pages: every relative link of README.md and docs/*.md names a file or
// folder of the repository, and every #anchor a heading of the page it
// points at. It has no code of its own.
package doclinks
