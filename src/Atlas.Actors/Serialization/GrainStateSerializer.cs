using System.Text.Json;

namespace Atlas.Actors.Serialization;

/// <summary>Serializes grain state for storage providers: UTF-8 JSON, the same in every provider.</summary>
public sealed class GrainStateSerializer
{
    private readonly JsonSerializerOptions _options;

    public GrainStateSerializer(JsonSerializerOptions options) => _options = options;

    /// <summary>A serializer without grain-reference binding, for tools and tests that only move plain data.</summary>
    public static GrainStateSerializer Default { get; } = new(new SerializationOptions().CreateJsonOptions(binder: null));

    internal JsonSerializerOptions Options => _options;

    public byte[] Serialize<T>(T value)
    {
        try
        {
            return JsonSerializer.SerializeToUtf8Bytes(value, _options);
        }
        catch (Exception ex) when (ex is NotSupportedException or JsonException or InvalidOperationException)
        {
            throw new GrainSerializationException($"State of type {typeof(T)} cannot be serialized: {ex.Message}", ex);
        }
    }

    public T Deserialize<T>(ReadOnlySpan<byte> payload)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(payload, _options)!;
        }
        catch (Exception ex) when (ex is NotSupportedException or JsonException or InvalidOperationException)
        {
            throw new GrainSerializationException($"Stored state cannot be read as {typeof(T)}: {ex.Message}", ex);
        }
    }
}
