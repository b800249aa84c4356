-- The knowledge base (知识库): bases, each a directory tree of articles;
-- every edit is a version that goes draft → review → published; only the
-- published version of an article is searched. The search index is an
-- inverted index in ordinary tables (docs/ARCHITECTURE.md says why).

CREATE TABLE kb_bases (
  id INTEGER PRIMARY KEY,
  tenant TEXT NOT NULL,
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  UNIQUE (tenant, name)
);

-- The departments that may read a base; a base with no row is open to
-- the whole tenant. A department's sub-departments inherit its grant.
CREATE TABLE kb_base_departments (
  base_id INTEGER NOT NULL REFERENCES kb_bases(id),
  department_id INTEGER NOT NULL REFERENCES oa_departments(id),
  PRIMARY KEY (base_id, department_id)
);

CREATE TABLE kb_dirs (
  id INTEGER PRIMARY KEY,
  tenant TEXT NOT NULL,
  base_id INTEGER NOT NULL REFERENCES kb_bases(id),
  parent_id INTEGER REFERENCES kb_dirs(id),
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX kb_dirs_name ON kb_dirs(base_id, IFNULL(parent_id, 0), name);

-- An article; title, body and dates are its published version's (empty
-- until the first is published).
CREATE TABLE kb_articles (
  id INTEGER PRIMARY KEY,
  tenant TEXT NOT NULL,
  base_id INTEGER NOT NULL REFERENCES kb_bases(id),
  dir_id INTEGER REFERENCES kb_dirs(id),
  category_id INTEGER, -- the ticket category it answers, for the screen pop
  title TEXT NOT NULL DEFAULT '',
  body_html TEXT NOT NULL DEFAULT '',
  body_text TEXT NOT NULL DEFAULT '',
  tags TEXT NOT NULL DEFAULT '[]',
  published_version INTEGER NOT NULL DEFAULT 0,
  effective_at INTEGER,
  expires_at INTEGER,
  views INTEGER NOT NULL DEFAULT 0,
  helpful INTEGER NOT NULL DEFAULT 0,
  unhelpful INTEGER NOT NULL DEFAULT 0,
  author TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  published_at INTEGER
);
CREATE INDEX kb_articles_base ON kb_articles(tenant, base_id, dir_id);
CREATE INDEX kb_articles_category ON kb_articles(tenant, category_id) WHERE category_id IS NOT NULL;

-- Every version of an article, kept: state is draft, review, published,
-- rejected or superseded.
CREATE TABLE kb_versions (
  article_id INTEGER NOT NULL REFERENCES kb_articles(id),
  version INTEGER NOT NULL,
  title TEXT NOT NULL,
  body_html TEXT NOT NULL,
  tags TEXT NOT NULL DEFAULT '[]',
  effective_at INTEGER,
  expires_at INTEGER,
  state TEXT NOT NULL,
  editor TEXT NOT NULL,
  reviewer TEXT NOT NULL DEFAULT '',
  note TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  reviewed_at INTEGER,
  PRIMARY KEY (article_id, version)
);
CREATE INDEX kb_versions_state ON kb_versions(state) WHERE state = 'review';

CREATE TABLE kb_attachments (
  id INTEGER PRIMARY KEY,
  tenant TEXT NOT NULL,
  article_id INTEGER NOT NULL REFERENCES kb_articles(id),
  name TEXT NOT NULL,
  mime TEXT NOT NULL,
  size INTEGER NOT NULL,
  sealed BLOB NOT NULL,
  uploaded_by TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX kb_attachments_article ON kb_attachments(article_id);

-- One "helpful" vote per user and article; changing one's mind replaces it.
CREATE TABLE kb_votes (
  article_id INTEGER NOT NULL REFERENCES kb_articles(id),
  user_id TEXT NOT NULL,
  helpful INTEGER NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (article_id, user_id)
);

-- The inverted index: a term's postings, by field (0 title, 1 body, 2
-- tags), with the term's count in the field. Terms are the segmenter's
-- words and the CJK character bigrams of the published text.
CREATE TABLE kb_postings (
  term TEXT NOT NULL,
  article_id INTEGER NOT NULL REFERENCES kb_articles(id),
  field INTEGER NOT NULL,
  tf INTEGER NOT NULL,
  PRIMARY KEY (term, article_id, field)
) WITHOUT ROWID;
CREATE INDEX kb_postings_article ON kb_postings(article_id);

-- Each term's document frequency over the indexed articles (every
-- tenant's: the idf is a property of the language more than of a tenant);
-- the empty term counts the indexed articles. A search reads the rarest
-- of its terms' postings first.
CREATE TABLE kb_terms (
  term TEXT PRIMARY KEY,
  df INTEGER NOT NULL
) WITHOUT ROWID;

-- Per-article field lengths (in terms), for the ranking's length norm.
CREATE TABLE kb_doclen (
  article_id INTEGER PRIMARY KEY REFERENCES kb_articles(id),
  title_len INTEGER NOT NULL,
  body_len INTEGER NOT NULL
);

-- Synonym groups: every term of a group finds what any other finds.
CREATE TABLE kb_synonyms (
  tenant TEXT NOT NULL,
  group_id INTEGER NOT NULL,
  term TEXT NOT NULL,
  PRIMARY KEY (tenant, term)
);
CREATE INDEX kb_synonyms_group ON kb_synonyms(tenant, group_id);

-- What agents searched, for the suggestions while typing.
CREATE TABLE kb_queries (
  tenant TEXT NOT NULL,
  query TEXT NOT NULL,
  count INTEGER NOT NULL,
  hits INTEGER NOT NULL,
  last_at INTEGER NOT NULL,
  PRIMARY KEY (tenant, query)
);
