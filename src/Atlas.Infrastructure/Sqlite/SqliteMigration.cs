namespace Atlas.Infrastructure.Sqlite;

/// <summary>
/// One schema change of a SQLite file, applied once per file in its own transaction and recorded under
/// <paramref name="Id"/> in <c>atlas_schema_migrations</c>. Ids are never reused; prefix them with the component that
/// owns them (<c>orleans/0001-grain-state</c>, <c>ledger/0001-tables</c>). A released migration is never edited.
/// </summary>
/// <param name="Id">A unique, stable id.</param>
/// <param name="Sql">One or more SQL statements separated by semicolons.</param>
public sealed record SqliteMigration(string Id, string Sql);
