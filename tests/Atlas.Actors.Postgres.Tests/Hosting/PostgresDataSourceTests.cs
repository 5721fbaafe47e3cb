using Npgsql;

namespace Atlas.Actors.Postgres.Tests.Hosting;

public sealed class PostgresDataSourceTests
{
    [Fact]
    public void The_options_timeouts_replace_those_of_the_connection_string()
    {
        var options = new PostgresStorageOptions
        {
            ConnectionString = "Host=db;Database=atlas;Timeout=60;Command Timeout=600",
            ConnectTimeout = TimeSpan.FromSeconds(3),
            CommandTimeout = TimeSpan.FromMilliseconds(7_500),
        };

        var built = new NpgsqlConnectionStringBuilder(PostgresDataSource.ConnectionStringOf(options));

        Assert.Equal((3, 8), (built.Timeout, built.CommandTimeout));
    }

    [Fact]
    public void Other_connection_string_settings_are_kept()
    {
        var options = new PostgresStorageOptions { ConnectionString = "Host=db;Database=atlas;Max Auto Prepare=20;Application Name=rides" };

        var built = new NpgsqlConnectionStringBuilder(PostgresDataSource.ConnectionStringOf(options));

        Assert.Equal(("db", "atlas", 20, "rides"), (built.Host, built.Database, built.MaxAutoPrepare, built.ApplicationName));
    }

    [Fact]
    public void A_missing_connection_string_is_a_configuration_error()
    {
        var error = Assert.Throws<AtlasConfigurationException>(() => PostgresDataSource.ConnectionStringOf(new PostgresStorageOptions()));

        Assert.Contains("ConnectionString", error.Message);
    }

    [Fact]
    public void A_connection_string_that_cannot_be_parsed_is_a_configuration_error()
    {
        Assert.Throws<AtlasConfigurationException>(() =>
            PostgresDataSource.ConnectionStringOf(new PostgresStorageOptions { ConnectionString = "Host=db;NoSuchSetting=1" }));
    }
}
