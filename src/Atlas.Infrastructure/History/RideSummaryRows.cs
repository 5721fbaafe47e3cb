using System.Data.Common;
using Atlas.Grains.Monetary;
using Atlas.Grains.Rides;
using Atlas.Grains.Rides.History;

namespace Atlas.Infrastructure.History;

/// <summary>
/// What both ride history readers (PostgreSQL and SQLite) share: a <c>ride_history</c> row in the column order their
/// queries select, and a page cut from one row more than asked. The stores differ only in how they keep times.
/// </summary>
internal static class RideSummaryRows
{
    /// <summary>Columns 0–13: ride, rider, driver, status, city, vehicle class, currency, fare, captured, commission, surge, created, updated, last sequence.</summary>
    public static RideSummary Read(DbDataReader reader, Func<DbDataReader, int, DateTimeOffset> time)
    {
        var currency = new Currency(reader.GetString(6));
        return new RideSummary(
            reader.GetString(0),
            reader.GetString(1),
            reader.IsDBNull(2) ? null : reader.GetString(2),
            RideStatuses.Parse(reader.GetString(3)),
            reader.GetString(4),
            reader.GetString(5),
            new Money(reader.GetInt64(7), currency),
            reader.IsDBNull(8) ? null : new Money(reader.GetInt64(8), currency),
            reader.IsDBNull(9) ? null : new Money(reader.GetInt64(9), currency),
            reader.IsDBNull(10) ? null : reader.GetInt64(10),
            time(reader, 11),
            time(reader, 12),
            reader.GetInt32(13));
    }

    /// <summary>The rides of a page read with <c>limit + 1</c> rows: the extra one says a next page exists.</summary>
    public static RideHistoryPage Page(List<RideSummary> rides, int limit)
    {
        if (rides.Count <= limit)
        {
            return new RideHistoryPage(rides, null);
        }
        rides.RemoveAt(limit);
        return new RideHistoryPage(rides, PostgresRideHistoryReader.EncodeCursor(rides[^1]));
    }
}
