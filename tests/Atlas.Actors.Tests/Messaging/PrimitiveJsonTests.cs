using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Atlas.Actors.Invocation;
using Atlas.Actors.Serialization;

namespace Atlas.Actors.Tests.Messaging;

/// <summary>The direct JSON of primitive arguments and results is the serializer's, byte for byte, and yields to custom converters.</summary>
public sealed class PrimitiveJsonTests
{
    private static readonly JsonSerializerOptions Options = new SerializationOptions().CreateJsonOptions(null);

    public static TheoryData<object?> Values() => new()
    {
        0, 42, -7, int.MaxValue, int.MinValue,
        0L, long.MaxValue, long.MinValue,
        true, false,
        "", "plain", "quote \" and \\ and <tag> & é ✓ \u0001", null,
        Guid.Empty, Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"),
        default(NoResult),
    };

    [Theory]
    [MemberData(nameof(Values))]
    public void Writes_what_the_serializer_writes_and_reads_it_back(object? value)
    {
        switch (value)
        {
            case int v: RoundTrip(v); break;
            case long v: RoundTrip(v); break;
            case bool v: RoundTrip(v); break;
            case Guid v: RoundTrip(v); break;
            case NoResult v: RoundTrip(v); break;
            default: RoundTrip((string?)value); break;
        }
    }

    private static void RoundTrip<T>(T value)
    {
        Assert.True(PrimitiveJson<T>.Applies(Options));
        var expected = JsonSerializer.SerializeToUtf8Bytes(value, Options);
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            PrimitiveJson<T>.Write(writer, value);
        }
        Assert.Equal(expected, buffer.WrittenSpan.ToArray());
        var direct = new ArrayBufferWriter<byte>();
        if (PrimitiveJson<T>.TryWriteText(direct, value))
        {
            Assert.Equal(expected, direct.WrittenSpan.ToArray());
        }
        Assert.Equal(value, PrimitiveJson<T>.ReadPayload(expected));
        Assert.Equal(JsonSerializer.Deserialize<T>(expected, Options), PrimitiveJson<T>.ReadPayload(expected));
    }

    [Theory]
    [InlineData("\"7\"")]
    [InlineData("7.5")]
    [InlineData("99999999999")]
    [InlineData("null")]
    [InlineData("")]
    [InlineData("7 8")]
    [InlineData("007")]
    [InlineData("+7")]
    [InlineData("-")]
    [InlineData("7-")]
    [InlineData("2147483648")]
    public void Refuses_what_the_serializer_refuses(string json)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(json);
        Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<int>(bytes, Options));
        Assert.ThrowsAny<JsonException>(() => PrimitiveJson<int>.ReadPayload(bytes));
    }

    [Theory]
    [InlineData(" 7")]
    [InlineData("7 ")]
    [InlineData("-0")]
    [InlineData("-2147483648")]
    [InlineData("0")]
    public void Accepts_what_the_serializer_accepts(string json)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(json);
        Assert.Equal(JsonSerializer.Deserialize<int>(bytes, Options), PrimitiveJson<int>.ReadPayload(bytes));
        Assert.Equal(JsonSerializer.Deserialize<long>(bytes, Options), PrimitiveJson<long>.ReadPayload(bytes));
    }

    [Fact]
    public void Other_types_and_customised_converters_go_through_the_serializer()
    {
        Assert.False(PrimitiveJson<double>.Applies(Options));
        Assert.False(PrimitiveJson<DateTime>.Applies(Options));

        var custom = new SerializationOptions();
        custom.TypeInfoResolvers.Add(new DefaultJsonTypeInfoResolver { Modifiers = { info => { if (info.Type == typeof(int)) info.NumberHandling = JsonNumberHandling.AllowReadingFromString; } } });
        Assert.False(PrimitiveJson<int>.Applies(custom.CreateJsonOptions(null)));
        Assert.True(PrimitiveJson<int>.Applies(Options));
    }
}
