# Sourced by .ci/run: start Debian's PostgreSQL and export the registry tests' database URL.
# The tests create (and drop) a database of their own for each run under this role, so runs
# that share the server do not see each other's rows.
start_registry_postgres() {
    local line version cluster port
    line=$(pg_lsclusters --no-header | head -n 1)
    if [ -z "$line" ]; then
        version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
        pg_createcluster "$version" main >/dev/null
        line=$(pg_lsclusters --no-header | head -n 1)
    fi
    read -r version cluster port _ <<<"$line"
    pg_ctlcluster "$version" "$cluster" start 2>/dev/null || true  # already running is fine
    for _ in $(seq 1 30); do
        pg_isready -q -h 127.0.0.1 -p "$port" && break
        sleep 1
    done
    pg_isready -h 127.0.0.1 -p "$port"
    su postgres -c "psql -p $port -tAc \"SELECT 1 FROM pg_roles WHERE rolname = 'spinefx'\"" | grep -q 1 \
        || su postgres -c "psql -p $port -qc \"CREATE ROLE spinefx LOGIN PASSWORD 'spinefx' CREATEDB\""
    su postgres -c "psql -p $port -tAc \"SELECT 1 FROM pg_database WHERE datname = 'spinefx_test'\"" | grep -q 1 \
        || su postgres -c "createdb -p $port -O spinefx spinefx_test"
    export SPINEFX_TEST_DATABASE_URL="postgresql+psycopg://spinefx:spinefx@127.0.0.1:$port/spinefx_test"
    export SPINEFX_REQUIRE_POSTGRES=1  # the registry tests must run on PostgreSQL here, not skip
}
