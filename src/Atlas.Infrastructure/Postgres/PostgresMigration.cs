namespace Atlas.Infrastructure.Postgres;

/// <summary>
/// One schema change, applied once per database in its own transaction and recorded under <paramref name="Id"/> in
/// <c>atlas_schema_migrations</c>. Ids are never reused; prefix them with the component that owns them
/// (<c>actors/0001-grain-state</c>, <c>ledger/0001-accounts</c>). A migration that has been released is never edited:
/// change the schema with a new one.
/// </summary>
/// <param name="Id">A unique, stable id.</param>
/// <param name="Sql">One or more SQL statements separated by semicolons.</param>
public sealed record PostgresMigration(string Id, string Sql);
