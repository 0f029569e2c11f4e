DROP INDEX IF EXISTS states_search_idx, agencies_search_idx, vendors_search_idx, technologies_search_idx,
  products_search_idx, communities_search_idx, designation_lists_search_idx, control_list_entries_search_idx,
  abuses_search_idx, deployments_search_idx, designations_search_idx, sources_search_idx,
  vendor_responses_search_idx, citations_search_idx,
  states_search_name_idx, agencies_search_name_idx, vendors_search_name_idx, technologies_search_name_idx,
  products_search_name_idx, communities_search_name_idx, designation_lists_search_name_idx;

ALTER TABLE states DROP COLUMN IF EXISTS search, DROP COLUMN IF EXISTS search_name;
ALTER TABLE agencies DROP COLUMN IF EXISTS search, DROP COLUMN IF EXISTS search_name;
ALTER TABLE vendors DROP COLUMN IF EXISTS search, DROP COLUMN IF EXISTS search_name;
ALTER TABLE technologies DROP COLUMN IF EXISTS search, DROP COLUMN IF EXISTS search_name;
ALTER TABLE products DROP COLUMN IF EXISTS search, DROP COLUMN IF EXISTS search_name;
ALTER TABLE communities DROP COLUMN IF EXISTS search, DROP COLUMN IF EXISTS search_name;
ALTER TABLE designation_lists DROP COLUMN IF EXISTS search, DROP COLUMN IF EXISTS search_name;
ALTER TABLE control_list_entries DROP COLUMN IF EXISTS search;
ALTER TABLE abuses DROP COLUMN IF EXISTS search;
ALTER TABLE deployments DROP COLUMN IF EXISTS search;
ALTER TABLE designations DROP COLUMN IF EXISTS search;
ALTER TABLE sources DROP COLUMN IF EXISTS search;
ALTER TABLE vendor_responses DROP COLUMN IF EXISTS search;
ALTER TABLE citations DROP COLUMN IF EXISTS search;

DROP AGGREGATE IF EXISTS tsvector_agg(tsvector);
DROP FUNCTION IF EXISTS search_join(text[]), search_fold(text);
DROP TEXT SEARCH CONFIGURATION IF EXISTS english_unaccent;
DROP TEXT SEARCH CONFIGURATION IF EXISTS simple_unaccent;
DROP EXTENSION IF EXISTS unaccent;
