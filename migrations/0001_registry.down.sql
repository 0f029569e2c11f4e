DROP TABLE IF EXISTS change_events, entry_versions, citations, vendor_responses, sources,
  designations, designation_lists, abuse_deployments, abuse_communities, abuse_agencies, abuses,
  communities, deployments, product_control_list_entries, product_technologies, products,
  control_list_entry_technologies, control_list_entries, technologies, vendors, agencies, states, entries;
DROP FUNCTION IF EXISTS refuse_history_rewrite(), technology_subtree(text[]), is_http_url(text), partial_date_end(text),
  partial_date_start(text), is_partial_date(text);
