using Atlas.Testing.Servers;
using Atlas.Infrastructure.Sqlite;
using Atlas.Grains.Wallets;
using Atlas.Infrastructure.Ledger;
using Atlas.Infrastructure.Tests.Infrastructure;

namespace Atlas.Infrastructure.Tests.Ledger;

/// <summary>The ledger store contract, run against the in-memory reference store.</summary>
public sealed class InMemoryLedgerStoreContractTests : LedgerStoreContractTests
{
    protected override ILedgerStore CreateStore() => new InMemoryLedgerStore();
}

/// <summary>The ledger store contract, run against SQLite (a fresh database file per test).</summary>
public sealed class SqliteLedgerStoreContractTests : LedgerStoreContractTests, IDisposable
{
    private readonly TempFolder _folder = new();
    private SqliteDatabase? _database;

    protected override ILedgerStore CreateStore() => new SqliteLedgerStore(_database = new SqliteDatabase(_folder.File()));

    public void Dispose()
    {
        _database?.Dispose();
        _folder.Dispose();
    }
}

/// <summary>The ledger store contract, run against PostgreSQL (wallets and counter accounts of its own per test).</summary>
public sealed class PostgresLedgerStoreContractTests(PostgresDataSourceFixture database)
    : LedgerStoreContractTests, IClassFixture<PostgresDataSourceFixture>
{
    protected override ILedgerStore CreateStore() => new PostgresLedgerStore(database.DataSource);
}
