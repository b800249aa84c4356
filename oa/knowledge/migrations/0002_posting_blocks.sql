-- The inverted index moves from one row per posting to blocks of
-- postings (posting_block.go): a frequent term over 100 000 articles was
-- tens of thousands of rows to step through per search. The old tables
-- are dropped and the document frequencies reset; the service rebuilds
-- the index of every published article on its next start (New finds the
-- published articles kb_indexed does not hold).
DROP TABLE kb_postings;
DROP TABLE kb_doclen;
DELETE FROM kb_terms;

-- A term's postings in one tenant's articles whose ids fall in one block
-- (id >> 12): per article, its id and its count of the term in the
-- title, the body and the tags, packed as uvarints.
CREATE TABLE kb_blocks (
  tenant TEXT NOT NULL,
  term TEXT NOT NULL,
  block INTEGER NOT NULL,
  postings BLOB NOT NULL,
  PRIMARY KEY (tenant, term, block)
) WITHOUT ROWID;

-- What an article is indexed by: its field lengths (in terms) and its
-- distinct terms (space-separated: a term never holds a space), so that
-- re-indexing it finds the blocks it was in.
CREATE TABLE kb_indexed (
  article_id INTEGER PRIMARY KEY REFERENCES kb_articles(id),
  tenant TEXT NOT NULL,
  title_len INTEGER NOT NULL,
  body_len INTEGER NOT NULL,
  terms TEXT NOT NULL
);
