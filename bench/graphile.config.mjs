// PostGraphile v5 for the benchmark: the amber preset over the same database
// and schema (public) that Oversight serves. Read by bench/run.sh.
//
//   BENCH_DATABASE_URL  the benchmark database
//   BENCH_PG_PORT       where to listen (always 127.0.0.1)
//   BENCH_CAPTURE_SQL   if set, a file: every SQL statement PostGraphile runs is
//                       appended to it as one JSON line {text, values}, so that
//                       bench/run.sh can replay the peer's own SQL under pgbench.
import { appendFileSync } from "node:fs";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";

import pg from "pg";

// As many connections as Oversight's pool opens (max(16, 4 x CPUs), set by
// run.sh), so neither side wins by holding more of PostgreSQL.
const pool = new pg.Pool({
  connectionString: process.env.BENCH_DATABASE_URL,
  max: Number(process.env.BENCH_PG_POOL ?? 16),
});

const capture = process.env.BENCH_CAPTURE_SQL;
if (capture) {
  // Record every statement sent through a pooled client: PostGraphile's pg
  // adaptor calls client.query({ text, values, ... }).
  const connect = pool.connect.bind(pool);
  pool.connect = async (...args) => {
    const client = await connect(...args);
    if (!client.__benchWrapped) {
      const query = client.query.bind(client);
      client.query = (config, ...rest) => {
        const text = typeof config === "string" ? config : config.text;
        const values = (typeof config === "string" ? rest[0] : config.values) ?? [];
        appendFileSync(capture, JSON.stringify({ text, values }) + "\n");
        return query(config, ...rest);
      };
      client.__benchWrapped = true;
    }
    return client;
  };
}

const service = makePgService({ pool, schemas: ["public"] });

/** @type {GraphileConfig.Preset} */
export default {
  extends: [PostGraphileAmberPreset],
  pgServices: [service],
  // Oversight's designations.vendor_id index is partial (WHERE vendor_id IS
  // NOT NULL), which PostGraphile does not count as an index, so it would hide
  // vendor -> designations; expose relations regardless of indexes.
  disablePlugins: ["PgIndexBehaviorsPlugin"],
  schema: {
    // Undated rows last when sorting by a date DESC, as Oversight sorts them.
    pgOrderByNullsLast: true,
  },
  grafserv: {
    host: "127.0.0.1",
    port: Number(process.env.BENCH_PG_PORT ?? 5678),
    graphiql: false,
    watch: false,
  },
  grafast: { explain: false },
};
