// Package knowledge is the OA's knowledge base (知识库): several bases,
// each a directory tree of articles whose rich text is sanitised on input;
// versions that go draft → review → published; effective and expiry
// dates; per-department access; attachments sealed like the tickets'.
// It owns Chinese full-text search over the published versions: an
// inverted index of segmenter words and CJK bigrams in its own tables
// (posting lists stored in blocks of article ids, intersected in memory),
// synonym groups, highlighted snippets, suggestions while typing, and a
// ranking that weighs popularity (知识热度: views and "helpful" votes).
package knowledge
