using System.Text.Json;
using System.Text.Json.Serialization;
using Atlas.Api.Json;

namespace Atlas.Api.Tests.Json;

public sealed class FlexibleTimestampConverterTests
{
    private sealed record Stamped([property: JsonConverter(typeof(FlexibleTimestampConverter))] DateTimeOffset? Timestamp);

    private static DateTimeOffset? Read(string json) => JsonSerializer.Deserialize<Stamped>($$"""{"Timestamp": {{json}}}""")!.Timestamp;

    [Fact]
    public void Numbers_below_the_threshold_are_unix_seconds() =>
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_795_000_000), Read("1795000000"));

    [Fact]
    public void Fractional_seconds_keep_their_milliseconds() =>
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1_795_000_000_250), Read("1795000000.25"));

    [Fact]
    public void Numbers_from_the_threshold_on_are_unix_milliseconds() =>
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1_795_000_000_123), Read("1795000000123"));

    [Fact]
    public void Rfc3339_strings_with_z_are_utc() =>
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 10, 15, 30, 250, TimeSpan.Zero), Read("\"2026-11-22T10:15:30.250Z\""));

    [Fact]
    public void Rfc3339_strings_keep_their_offset() =>
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 9, 15, 30, TimeSpan.Zero), Read("\"2026-11-22T10:15:30+01:00\"")!.Value.ToUniversalTime());

    [Fact]
    public void Null_means_no_timestamp() => Assert.Null(Read("null"));

    [Theory]
    [InlineData("\"2026-11-22T10:15:30\"")]
    [InlineData("\"2026-11-22\"")]
    [InlineData("\"yesterday\"")]
    [InlineData("\"NaN\"")]
    [InlineData("1e300")]
    [InlineData("true")]
    [InlineData("{}")]
    public void Anything_else_is_refused(string json) => Assert.Throws<JsonException>(() => Read(json));
}
