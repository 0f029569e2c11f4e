DROP INDEX deployments_supply_idx;
