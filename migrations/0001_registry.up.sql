-- The registry: every published entry, its versions and its citations.
--
-- Layout: `entries` holds what every entry type shares (version, status,
-- timestamps) and is the single target for citations, history and change
-- events; one table per entry type holds that type's fields and references
-- `entries` through (id, entry_type), so a row can never be filed under the
-- wrong type. Drafts never live in these tables: proposed changes will sit in
-- submissions (migration 0002 onwards) and reach these tables only when merged,
-- which keeps "published or retracted" the only states a reader can see here.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- is_partial_date reports whether s is a real calendar date of year, month or
-- day precision ("2019", "2019-10", "2019-10-09"); 2019-02-30 is not.
CREATE FUNCTION is_partial_date(s text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
  IF s !~ '^[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?$' THEN
    RETURN false;
  END IF;
  IF length(s) = 10 THEN
    PERFORM make_date(substr(s, 1, 4)::int, substr(s, 6, 2)::int, substr(s, 9, 2)::int);
  END IF;
  RETURN true;
EXCEPTION WHEN datetime_field_overflow OR invalid_datetime_format THEN
  RETURN false;
END $$;

-- partial_date_start is the first day a partial date covers: "2019" -> 2019-01-01.
CREATE FUNCTION partial_date_start(s text) RETURNS date
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT CASE length(s)
    WHEN 4 THEN make_date(s::int, 1, 1)
    WHEN 7 THEN make_date(substr(s, 1, 4)::int, substr(s, 6, 2)::int, 1)
    ELSE s::date END
$$;

-- partial_date_end is the last day a partial date covers: "2019-02" -> 2019-02-28.
CREATE FUNCTION partial_date_end(s text) RETURNS date
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT CASE length(s)
    WHEN 4 THEN make_date(s::int, 12, 31)
    WHEN 7 THEN (make_date(substr(s, 1, 4)::int, substr(s, 6, 2)::int, 1) + interval '1 month' - interval '1 day')::date
    ELSE s::date END
$$;

CREATE FUNCTION is_http_url(s text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT s ~ '^https?://[^\s/?#]+[^\s]*$' AND length(s) <= 2048
$$;

CREATE TABLE entries (
  id                uuid PRIMARY KEY,
  entry_type        text NOT NULL,
  version           integer NOT NULL,
  status            text NOT NULL DEFAULT 'PUBLISHED',
  retraction_reason text,
  published_at      timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT entries_id_type_key UNIQUE (id, entry_type),
  CONSTRAINT entries_entry_type_check CHECK (entry_type IN (
    'STATE', 'AGENCY', 'VENDOR', 'PRODUCT', 'TECHNOLOGY', 'DEPLOYMENT', 'ABUSE', 'COMMUNITY',
    'DESIGNATION_LIST', 'DESIGNATION', 'CONTROL_LIST_ENTRY', 'SOURCE', 'VENDOR_RESPONSE')),
  CONSTRAINT entries_version_check CHECK (version >= 1),
  CONSTRAINT entries_status_check CHECK (status IN ('PUBLISHED', 'RETRACTED')),
  -- A retraction always carries its public reason, and only a retraction does.
  CONSTRAINT entries_retraction_reason_check CHECK (
    (status = 'RETRACTED') = (retraction_reason IS NOT NULL AND length(btrim(retraction_reason)) > 0)),
  CONSTRAINT entries_updated_at_check CHECK (updated_at >= published_at)
);
CREATE INDEX entries_entry_type_idx ON entries (entry_type, status);

CREATE TABLE states (
  id           uuid PRIMARY KEY,
  entry_type   text NOT NULL DEFAULT 'STATE' CHECK (entry_type = 'STATE'),
  country_code text NOT NULL,
  name         text NOT NULL,
  summary      text,
  CONSTRAINT states_entry_fkey FOREIGN KEY (id, entry_type) REFERENCES entries (id, entry_type),
  CONSTRAINT states_country_code_key UNIQUE (country_code),
  CONSTRAINT states_country_code_check CHECK (country_code ~ '^[A-Z]{2}$'),
  CONSTRAINT states_name_check CHECK (length(btrim(name)) BETWEEN 1 AND 200),
  CONSTRAINT states_summary_check CHECK (length(summary) <= 20000)
);

CREATE TABLE agencies (
  id          uuid PRIMARY KEY,
  entry_type  text NOT NULL DEFAULT 'AGENCY' CHECK (entry_type = 'AGENCY'),
  state_id    uuid NOT NULL REFERENCES states (id),
  name        text NOT NULL,
  kind        text,
  description text,
  CONSTRAINT agencies_entry_fkey FOREIGN KEY (id, entry_type) REFERENCES entries (id, entry_type),
  CONSTRAINT agencies_state_name_key UNIQUE (state_id, name),
  CONSTRAINT agencies_name_check CHECK (length(btrim(name)) BETWEEN 1 AND 300),
  CONSTRAINT agencies_kind_check CHECK (length(kind) <= 200),
  CONSTRAINT agencies_description_check CHECK (length(description) <= 20000)
);

CREATE TABLE vendors (
  id           uuid PRIMARY KEY,
  entry_type   text NOT NULL DEFAULT 'VENDOR' CHECK (entry_type = 'VENDOR'),
  slug         text NOT NULL,
  name         text NOT NULL,
  aliases      text[] NOT NULL DEFAULT '{}',
  country_code text,
  website      text,
  wikidata_id  text,
  description  text,
  parent_id    uuid REFERENCES vendors (id),
  CONSTRAINT vendors_entry_fkey FOREIGN KEY (id, entry_type) REFERENCES entries (id, entry_type),
  CONSTRAINT vendors_slug_key UNIQUE (slug),
  CONSTRAINT vendors_slug_check CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 100),
  CONSTRAINT vendors_name_check CHECK (length(btrim(name)) BETWEEN 1 AND 300),
  CONSTRAINT vendors_country_code_check CHECK (country_code ~ '^[A-Z]{2}$'),
  CONSTRAINT vendors_website_check CHECK (is_http_url(website)),
  CONSTRAINT vendors_wikidata_id_check CHECK (wikidata_id ~ '^Q[1-9][0-9]*$'),
  CONSTRAINT vendors_description_check CHECK (length(description) <= 20000),
  CONSTRAINT vendors_parent_check CHECK (parent_id <> id)
);
CREATE INDEX vendors_country_code_idx ON vendors (country_code);
CREATE INDEX vendors_parent_id_idx ON vendors (parent_id);

CREATE TABLE technologies (
  id          uuid PRIMARY KEY,
  entry_type  text NOT NULL DEFAULT 'TECHNOLOGY' CHECK (entry_type = 'TECHNOLOGY'),
  slug        text NOT NULL,
  name        text NOT NULL,
  description text,
  parent_id   uuid REFERENCES technologies (id),
  CONSTRAINT technologies_entry_fkey FOREIGN KEY (id, entry_type) REFERENCES entries (id, entry_type),
  CONSTRAINT technologies_slug_key UNIQUE (slug),
  CONSTRAINT technologies_slug_check CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 100),
  CONSTRAINT technologies_name_check CHECK (length(btrim(name)) BETWEEN 1 AND 300),
  CONSTRAINT technologies_description_check CHECK (length(description) <= 20000),
  CONSTRAINT technologies_parent_check CHECK (parent_id <> id)
);
CREATE INDEX technologies_parent_id_idx ON technologies (parent_id);

-- technology_subtree returns the technologies with these slugs and all their
-- descendants, so that a filter on a broad technology also finds its kinds.
CREATE FUNCTION technology_subtree(slugs text[]) RETURNS SETOF uuid
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  WITH RECURSIVE tree (id) AS (
    SELECT id FROM technologies WHERE slug = ANY (slugs)
    UNION
    SELECT t.id FROM technologies t JOIN tree ON t.parent_id = tree.id
  )
  SELECT id FROM tree
$$;

CREATE TABLE control_list_entries (
  id          uuid PRIMARY KEY,
  entry_type  text NOT NULL DEFAULT 'CONTROL_LIST_ENTRY' CHECK (entry_type = 'CONTROL_LIST_ENTRY'),
  regime      text NOT NULL,
  code        text NOT NULL,
  title       text NOT NULL,
  description text,
  CONSTRAINT control_list_entries_entry_fkey FOREIGN KEY (id, entry_type) REFERENCES entries (id, entry_type),
  CONSTRAINT control_list_entries_regime_code_key UNIQUE (regime, code),
  CONSTRAINT control_list_entries_regime_check CHECK (regime IN ('WASSENAAR', 'EU_DUAL_USE', 'US_CCL', 'OTHER')),
  CONSTRAINT control_list_entries_code_check CHECK (length(btrim(code)) BETWEEN 1 AND 200),
  CONSTRAINT control_list_entries_title_check CHECK (length(btrim(title)) BETWEEN 1 AND 500),
  CONSTRAINT control_list_entries_description_check CHECK (length(description) <= 20000)
);

-- Which technologies an export-control entry covers, as the control texts say.
CREATE TABLE control_list_entry_technologies (
  control_list_entry_id uuid NOT NULL REFERENCES control_list_entries (id),
  technology_id         uuid NOT NULL REFERENCES technologies (id),
  PRIMARY KEY (control_list_entry_id, technology_id)
);
CREATE INDEX control_list_entry_technologies_technology_idx ON control_list_entry_technologies (technology_id);

CREATE TABLE products (
  id          uuid PRIMARY KEY,
  entry_type  text NOT NULL DEFAULT 'PRODUCT' CHECK (entry_type = 'PRODUCT'),
  vendor_id   uuid NOT NULL REFERENCES vendors (id),
  name        text NOT NULL,
  description text,
  CONSTRAINT products_entry_fkey FOREIGN KEY (id, entry_type) REFERENCES entries (id, entry_type),
  CONSTRAINT products_vendor_name_key UNIQUE (vendor_id, name),
  CONSTRAINT products_name_check CHECK (length(btrim(name)) BETWEEN 1 AND 300),
  CONSTRAINT products_description_check CHECK (length(description) <= 20000)
);

CREATE TABLE product_technologies (
  product_id    uuid NOT NULL REFERENCES products (id),
  technology_id uuid NOT NULL REFERENCES technologies (id),
  PRIMARY KEY (product_id, technology_id)
);
CREATE INDEX product_technologies_technology_idx ON product_technologies (technology_id);

CREATE TABLE product_control_list_entries (
  product_id            uuid NOT NULL REFERENCES products (id),
  control_list_entry_id uuid NOT NULL REFERENCES control_list_entries (id),
  PRIMARY KEY (product_id, control_list_entry_id)
);
CREATE INDEX product_control_list_entries_entry_idx ON product_control_list_entries (control_list_entry_id);

CREATE TABLE deployments (
  id            uuid PRIMARY KEY,
  entry_type    text NOT NULL DEFAULT 'DEPLOYMENT' CHECK (entry_type = 'DEPLOYMENT'),
  state_id      uuid NOT NULL REFERENCES states (id),
  agency_id     uuid REFERENCES agencies (id),
  vendor_id     uuid REFERENCES vendors (id),
  product_id    uuid REFERENCES products (id),
  technology_id uuid NOT NULL REFERENCES technologies (id),
  start_date    text,
  end_date      text,
  location      text,
  description   text,
  confidence    text NOT NULL,
  CONSTRAINT deployments_entry_fkey FOREIGN KEY (id, entry_type) REFERENCES entries (id, entry_type),
  CONSTRAINT deployments_start_date_check CHECK (is_partial_date(start_date)),
  CONSTRAINT deployments_end_date_check CHECK (is_partial_date(end_date)),
  CONSTRAINT deployments_dates_order_check CHECK (partial_date_start(start_date) <= partial_date_end(end_date)),
  CONSTRAINT deployments_confidence_check CHECK (confidence IN ('CONFIRMED', 'CREDIBLE', 'ALLEGED', 'DISPUTED')),
  CONSTRAINT deployments_location_check CHECK (length(location) <= 500),
  CONSTRAINT deployments_description_check CHECK (length(description) <= 20000)
);
CREATE INDEX deployments_state_id_idx ON deployments (state_id);
CREATE INDEX deployments_agency_id_idx ON deployments (agency_id);
CREATE INDEX deployments_vendor_id_idx ON deployments (vendor_id);
CREATE INDEX deployments_product_id_idx ON deployments (product_id);
CREATE INDEX deployments_technology_id_idx ON deployments (technology_id);

CREATE TABLE communities (
  id          uuid PRIMARY KEY,
  entry_type  text NOT NULL DEFAULT 'COMMUNITY' CHECK (entry_type = 'COMMUNITY'),
  name        text NOT NULL,
  religion    text,
  description text,
  CONSTRAINT communities_entry_fkey FOREIGN KEY (id, entry_type) REFERENCES entries (id, entry_type),
  CONSTRAINT communities_name_key UNIQUE (name),
  CONSTRAINT communities_name_check CHECK (length(btrim(name)) BETWEEN 1 AND 300),
  CONSTRAINT communities_religion_check CHECK (length(religion) <= 200),
  CONSTRAINT communities_description_check CHECK (length(description) <= 20000)
);

CREATE TABLE abuses (
  id          uuid PRIMARY KEY,
  entry_type  text NOT NULL DEFAULT 'ABUSE' CHECK (entry_type = 'ABUSE'),
  title       text NOT NULL,
  summary     text NOT NULL,
  state_id    uuid NOT NULL REFERENCES states (id),
  categories  text[] NOT NULL,
  start_date  text,
  end_date    text,
  location    text,
  confidence  text NOT NULL,
  CONSTRAINT abuses_entry_fkey FOREIGN KEY (id, entry_type) REFERENCES entries (id, entry_type),
  CONSTRAINT abuses_title_check CHECK (length(btrim(title)) BETWEEN 1 AND 500),
  CONSTRAINT abuses_summary_check CHECK (length(btrim(summary)) BETWEEN 1 AND 20000),
  CONSTRAINT abuses_categories_check CHECK (cardinality(categories) >= 1 AND categories <@ ARRAY[
    'MASS_SURVEILLANCE', 'SURVEILLANCE_OF_WORSHIP', 'BIOMETRIC_COLLECTION', 'RELIGIOUS_OR_ETHNIC_PROFILING',
    'ARBITRARY_DETENTION', 'FORCED_DISAPPEARANCE', 'TORTURE_OR_ILL_TREATMENT', 'RESTRICTION_OF_RELIGIOUS_PRACTICE',
    'CENSORSHIP', 'HARASSMENT_OR_INTIMIDATION', 'TRANSNATIONAL_REPRESSION', 'TARGETED_SPYWARE', 'OTHER']::text[]),
  CONSTRAINT abuses_start_date_check CHECK (is_partial_date(start_date)),
  CONSTRAINT abuses_end_date_check CHECK (is_partial_date(end_date)),
  CONSTRAINT abuses_dates_order_check CHECK (partial_date_start(start_date) <= partial_date_end(end_date)),
  CONSTRAINT abuses_confidence_check CHECK (confidence IN ('CONFIRMED', 'CREDIBLE', 'ALLEGED', 'DISPUTED')),
  CONSTRAINT abuses_location_check CHECK (length(location) <= 500)
);
CREATE INDEX abuses_state_id_idx ON abuses (state_id);
CREATE INDEX abuses_categories_idx ON abuses USING gin (categories);

CREATE TABLE abuse_agencies (
  abuse_id  uuid NOT NULL REFERENCES abuses (id),
  agency_id uuid NOT NULL REFERENCES agencies (id),
  PRIMARY KEY (abuse_id, agency_id)
);
CREATE INDEX abuse_agencies_agency_idx ON abuse_agencies (agency_id);

CREATE TABLE abuse_communities (
  abuse_id     uuid NOT NULL REFERENCES abuses (id),
  community_id uuid NOT NULL REFERENCES communities (id),
  PRIMARY KEY (abuse_id, community_id)
);
CREATE INDEX abuse_communities_community_idx ON abuse_communities (community_id);

CREATE TABLE abuse_deployments (
  abuse_id      uuid NOT NULL REFERENCES abuses (id),
  deployment_id uuid NOT NULL REFERENCES deployments (id),
  PRIMARY KEY (abuse_id, deployment_id)
);
CREATE INDEX abuse_deployments_deployment_idx ON abuse_deployments (deployment_id);

CREATE TABLE designation_lists (
  id           uuid PRIMARY KEY,
  entry_type   text NOT NULL DEFAULT 'DESIGNATION_LIST' CHECK (entry_type = 'DESIGNATION_LIST'),
  code         text NOT NULL,
  name         text NOT NULL,
  authority    text NOT NULL,
  jurisdiction text NOT NULL,
  url          text,
  CONSTRAINT designation_lists_entry_fkey FOREIGN KEY (id, entry_type) REFERENCES entries (id, entry_type),
  CONSTRAINT designation_lists_code_key UNIQUE (code),
  CONSTRAINT designation_lists_code_check CHECK (code ~ '^[A-Z0-9]+(-[A-Z0-9]+)*$' AND length(code) <= 100),
  CONSTRAINT designation_lists_name_check CHECK (length(btrim(name)) BETWEEN 1 AND 300),
  CONSTRAINT designation_lists_authority_check CHECK (length(btrim(authority)) BETWEEN 1 AND 300),
  CONSTRAINT designation_lists_jurisdiction_check CHECK (length(btrim(jurisdiction)) BETWEEN 1 AND 100),
  CONSTRAINT designation_lists_url_check CHECK (is_http_url(url))
);

-- A designation's subject is exactly one of a vendor, a state or an agency;
-- three nullable columns (rather than one polymorphic id) keep real foreign keys.
CREATE TABLE designations (
  id              uuid PRIMARY KEY,
  entry_type      text NOT NULL DEFAULT 'DESIGNATION' CHECK (entry_type = 'DESIGNATION'),
  list_id         uuid NOT NULL REFERENCES designation_lists (id),
  vendor_id       uuid REFERENCES vendors (id),
  state_id        uuid REFERENCES states (id),
  agency_id       uuid REFERENCES agencies (id),
  listed_on       text NOT NULL,
  removed_on      text,
  legal_reference text,
  reason          text,
  CONSTRAINT designations_entry_fkey FOREIGN KEY (id, entry_type) REFERENCES entries (id, entry_type),
  CONSTRAINT designations_subject_check CHECK (num_nonnulls(vendor_id, state_id, agency_id) = 1),
  CONSTRAINT designations_listed_on_check CHECK (is_partial_date(listed_on)),
  CONSTRAINT designations_removed_on_check CHECK (is_partial_date(removed_on)),
  CONSTRAINT designations_dates_order_check CHECK (partial_date_start(listed_on) <= partial_date_end(removed_on)),
  CONSTRAINT designations_legal_reference_check CHECK (length(legal_reference) <= 500),
  CONSTRAINT designations_reason_check CHECK (length(reason) <= 20000)
);
CREATE INDEX designations_list_id_idx ON designations (list_id);
CREATE INDEX designations_vendor_id_idx ON designations (vendor_id) WHERE vendor_id IS NOT NULL;
CREATE INDEX designations_state_id_idx ON designations (state_id) WHERE state_id IS NOT NULL;
CREATE INDEX designations_agency_id_idx ON designations (agency_id) WHERE agency_id IS NOT NULL;

CREATE TABLE sources (
  id             uuid PRIMARY KEY,
  entry_type     text NOT NULL DEFAULT 'SOURCE' CHECK (entry_type = 'SOURCE'),
  title          text NOT NULL,
  kind           text NOT NULL,
  publisher      text,
  authors        text[] NOT NULL DEFAULT '{}',
  url            text,
  archive_url    text,
  published_on   text,
  accessed_on    text,
  language       text,
  content_sha256 text,
  confidential   boolean NOT NULL DEFAULT false,
  CONSTRAINT sources_entry_fkey FOREIGN KEY (id, entry_type) REFERENCES entries (id, entry_type),
  CONSTRAINT sources_title_check CHECK (length(btrim(title)) BETWEEN 1 AND 1000),
  CONSTRAINT sources_kind_check CHECK (kind IN ('GOVERNMENT_DOCUMENT', 'LEGAL_INSTRUMENT', 'COURT_RECORD',
    'NGO_REPORT', 'ACADEMIC', 'NEWS', 'CORPORATE_DOCUMENT', 'TECHNICAL_ANALYSIS', 'LEAKED_DOCUMENT', 'TESTIMONY', 'OTHER')),
  CONSTRAINT sources_publisher_check CHECK (length(publisher) <= 500),
  CONSTRAINT sources_url_check CHECK (is_http_url(url)),
  CONSTRAINT sources_archive_url_check CHECK (is_http_url(archive_url)),
  CONSTRAINT sources_published_on_check CHECK (is_partial_date(published_on)),
  CONSTRAINT sources_accessed_on_check CHECK (is_partial_date(accessed_on)),
  CONSTRAINT sources_language_check CHECK (language ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$'),
  CONSTRAINT sources_content_sha256_check CHECK (content_sha256 ~ '^[0-9a-f]{64}$')
);
CREATE INDEX sources_kind_idx ON sources (kind);

CREATE TABLE vendor_responses (
  id           uuid PRIMARY KEY,
  entry_type   text NOT NULL DEFAULT 'VENDOR_RESPONSE' CHECK (entry_type = 'VENDOR_RESPONSE'),
  vendor_id    uuid NOT NULL REFERENCES vendors (id),
  about_id     uuid REFERENCES entries (id),
  requested_on text,
  reply_status text NOT NULL,
  responded_on text,
  summary      text,
  source_id    uuid REFERENCES sources (id),
  CONSTRAINT vendor_responses_entry_fkey FOREIGN KEY (id, entry_type) REFERENCES entries (id, entry_type),
  CONSTRAINT vendor_responses_reply_status_check CHECK (reply_status IN ('PENDING', 'RESPONDED', 'DECLINED', 'NO_RESPONSE')),
  CONSTRAINT vendor_responses_requested_on_check CHECK (is_partial_date(requested_on)),
  CONSTRAINT vendor_responses_responded_on_check CHECK (is_partial_date(responded_on)),
  CONSTRAINT vendor_responses_summary_check CHECK (length(summary) <= 20000)
);
CREATE INDEX vendor_responses_vendor_id_idx ON vendor_responses (vendor_id);

-- Citations belong to an entry's current version; the version snapshot in
-- entry_versions keeps the citations each earlier version had.
CREATE TABLE citations (
  id        uuid PRIMARY KEY,
  entry_id  uuid NOT NULL REFERENCES entries (id),
  source_id uuid NOT NULL REFERENCES sources (id),
  position  integer NOT NULL,
  locator   text,
  quote     text,
  field     text,
  stance    text NOT NULL DEFAULT 'SUPPORTS',
  CONSTRAINT citations_entry_position_key UNIQUE (entry_id, position),
  CONSTRAINT citations_stance_check CHECK (stance IN ('SUPPORTS', 'CONTRADICTS')),
  CONSTRAINT citations_locator_check CHECK (length(locator) <= 500),
  CONSTRAINT citations_quote_check CHECK (length(quote) <= 5000),
  CONSTRAINT citations_field_check CHECK (field ~ '^[a-z][A-Za-z0-9]*$')
);
CREATE INDEX citations_source_id_idx ON citations (source_id);

-- Every published version of every entry, never rewritten: the snapshot of
-- its public fields and citations, and the field-level diff from the version before.
CREATE TABLE entry_versions (
  entry_id    uuid NOT NULL REFERENCES entries (id),
  version     integer NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  summary     text,
  snapshot    jsonb NOT NULL,
  changes     jsonb NOT NULL DEFAULT '[]',
  PRIMARY KEY (entry_id, version),
  CONSTRAINT entry_versions_version_check CHECK (version >= 1),
  CONSTRAINT entry_versions_snapshot_check CHECK (jsonb_typeof(snapshot) = 'object'),
  CONSTRAINT entry_versions_changes_check CHECK (jsonb_typeof(changes) = 'array')
);

-- The orders lists are paged in (internal/catalog: listings), so that each
-- page is an index range scan from its cursor rather than a sort.
CREATE INDEX states_list_idx ON states (name, id);
CREATE INDEX vendors_list_idx ON vendors (lower(name), id);
CREATE INDEX products_list_idx ON products (lower(name), id);
CREATE INDEX deployments_list_idx ON deployments ((coalesce(start_date, '')) DESC, id DESC);
CREATE INDEX abuses_list_idx ON abuses ((coalesce(start_date, '')) DESC, id DESC);
CREATE INDEX designations_list_idx ON designations (listed_on DESC, id DESC);
CREATE INDEX sources_list_idx ON sources (lower(title), id);
-- Source filter: publisher is a case-insensitive substring match.
CREATE INDEX sources_publisher_trgm_idx ON sources USING gin (publisher gin_trgm_ops);

-- Published changes in order, for the public change feed and corrections log.
CREATE TABLE change_events (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  entry_id   uuid NOT NULL,
  entry_type text NOT NULL,
  version    integer NOT NULL,
  kind       text NOT NULL,
  at         timestamptz NOT NULL DEFAULT now(),
  summary    text,
  CONSTRAINT change_events_version_fkey FOREIGN KEY (entry_id, version) REFERENCES entry_versions (entry_id, version),
  CONSTRAINT change_events_kind_check CHECK (kind IN ('CREATED', 'UPDATED', 'CORRECTED', 'RETRACTED'))
);
CREATE INDEX change_events_at_idx ON change_events (at DESC, id DESC);

-- History is evidence: refuse to rewrite or delete it, whoever asks.
CREATE FUNCTION refuse_history_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% on % is not allowed: history and the audit log are append-only', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER entry_versions_append_only BEFORE UPDATE OR DELETE ON entry_versions
  FOR EACH ROW EXECUTE FUNCTION refuse_history_rewrite();
CREATE TRIGGER change_events_append_only BEFORE UPDATE OR DELETE ON change_events
  FOR EACH ROW EXECUTE FUNCTION refuse_history_rewrite();
