using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace Atlas.Actors.Messaging;

/// <summary>The kinds of frame on a connection.</summary>
internal enum FrameKind : byte
{
    Request = 1,
    Response = 2,
    Ping = 3,
    Pong = 4,
    MembershipChanged = 5,
}

internal enum ResponseStatus : byte
{
    Ok = 0,
    Error = 1,
}

/// <summary>Little-endian primitives written into a buffer.</summary>
internal static class FrameWriter
{
    public static void WriteByte(IBufferWriter<byte> output, byte value)
    {
        output.GetSpan(1)[0] = value;
        output.Advance(1);
    }

    public static void WriteInt32(IBufferWriter<byte> output, int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(output.GetSpan(4), value);
        output.Advance(4);
    }

    public static void WriteInt64(IBufferWriter<byte> output, long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(output.GetSpan(8), value);
        output.Advance(8);
    }

    public static void WriteString(IBufferWriter<byte> output, string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        WriteInt32(output, length);
        var span = output.GetSpan(length);
        Encoding.UTF8.GetBytes(value, span);
        output.Advance(length);
    }
}

/// <summary>Reads what <see cref="FrameWriter"/> wrote; throws <see cref="FormatException"/> on a malformed frame.</summary>
internal ref struct FrameReader(ReadOnlySpan<byte> frame)
{
    private readonly ReadOnlySpan<byte> _frame = frame;
    private int _position;

    public readonly ReadOnlySpan<byte> Remaining => _frame[_position..];

    public byte ReadByte()
    {
        Ensure(1);
        return _frame[_position++];
    }

    public int ReadInt32()
    {
        Ensure(4);
        var value = BinaryPrimitives.ReadInt32LittleEndian(_frame[_position..]);
        _position += 4;
        return value;
    }

    public long ReadInt64()
    {
        Ensure(8);
        var value = BinaryPrimitives.ReadInt64LittleEndian(_frame[_position..]);
        _position += 8;
        return value;
    }

    public string ReadString()
    {
        var length = ReadInt32();
        if (length < 0)
        {
            throw new FormatException("Negative string length.");
        }
        Ensure(length);
        var value = Encoding.UTF8.GetString(_frame.Slice(_position, length));
        _position += length;
        return value;
    }

    /// <summary>
    /// Reads a grain id written as two strings (type, then key). The type name comes from <see cref="GrainTypeNames"/>,
    /// so the grain types a silo serves are decoded and hashed once, not on every request; the key is unique per grain.
    /// </summary>
    public GrainId ReadGrainId()
    {
        var length = ReadInt32();
        if (length <= 0)
        {
            throw new FormatException(length == 0 ? "An empty grain type." : "Negative string length.");
        }
        Ensure(length);
        var type = GrainTypeNames.Get(_frame.Slice(_position, length));
        _position += length;
        var key = ReadString();
        if (key.Length == 0)
        {
            throw new FormatException("An empty grain key.");
        }
        return new GrainId(type.Name, type.Hash, key);
    }

    private readonly void Ensure(int count)
    {
        if (count > _frame.Length - _position)
        {
            throw new FormatException($"The frame ended early: {count} more byte(s) expected at offset {_position} of {_frame.Length}.");
        }
    }
}

/// <summary>A per-thread reusable buffer for building frames.</summary>
internal static class FrameBuffer
{
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? _cached;

    public static ArrayBufferWriter<byte> Rent()
    {
        var buffer = _cached ?? new ArrayBufferWriter<byte>(256);
        _cached = null;
        buffer.ResetWrittenCount();
        return buffer;
    }

    public static void Return(ArrayBufferWriter<byte> buffer)
    {
        if (buffer.Capacity <= 1024 * 1024)
        {
            _cached = buffer;
        }
    }
}

/// <summary>
/// A per-thread reusable <see cref="Utf8JsonWriter"/> (reset onto each frame's buffer): a new writer per message
/// costs about 140 bytes of garbage and its set-up, on both ends of every remote call.
/// </summary>
internal static class FrameJson
{
    [ThreadStatic]
    private static Utf8JsonWriter? _cached;

    /// <summary>A writer onto <paramref name="output"/>. Hand it back with <see cref="Return"/>, which flushes it.</summary>
    public static Utf8JsonWriter Rent(IBufferWriter<byte> output)
    {
        var writer = _cached;
        if (writer is null)
        {
            return new Utf8JsonWriter(output);
        }
        // Taken while in use: a nested serialization on this thread (a converter that sends a call) gets its own.
        _cached = null;
        writer.Reset(output);
        return writer;
    }

    /// <summary>Flushes what was written into the buffer and keeps the writer for the next frame of this thread.</summary>
    public static void Return(Utf8JsonWriter writer)
    {
        writer.Flush();
        // Detached from the frame's buffer, so a cached writer holds no buffer alive.
        writer.Reset(NullBufferWriter.Instance);
        _cached = writer;
    }

    /// <summary>Drops the writer after a failure: its state is unknown, and a new one costs little once in a while.</summary>
    public static void Discard(Utf8JsonWriter writer) => writer.Dispose();

    private sealed class NullBufferWriter : IBufferWriter<byte>
    {
        public static readonly NullBufferWriter Instance = new();

        public void Advance(int count) => throw new InvalidOperationException("A cached JSON writer was used without being rented.");

        public Memory<byte> GetMemory(int sizeHint = 0) => throw new InvalidOperationException("A cached JSON writer was used without being rented.");

        public Span<byte> GetSpan(int sizeHint = 0) => throw new InvalidOperationException("A cached JSON writer was used without being rented.");
    }
}

/// <summary>
/// The grain type names read from frames: a small direct-mapped cache from a name's UTF-8 bytes to its string and
/// stable hash. Bounded (a slot is overwritten on a clash, so odd names from a misbehaving peer cost an allocation,
/// never memory), lock-free (a slot holds an immutable entry).
/// </summary>
internal static class GrainTypeNames
{
    private const int Slots = 256;
    private static readonly Entry?[] Cache = new Entry?[Slots];

    public static Entry Get(ReadOnlySpan<byte> utf8)
    {
        var slot = (int)(Fnv(utf8) & (Slots - 1));
        var entry = Volatile.Read(ref Cache[slot]);
        if (entry is not null && utf8.SequenceEqual(entry.Utf8))
        {
            return entry;
        }
        var name = Encoding.UTF8.GetString(utf8);
        // The registered class's own string, so that lookups by reference (GrainRegistry.FindClass) hit.
        name = Invocation.GrainRegistry.FindClass(name)?.GrainType ?? name;
        entry = new Entry(utf8.ToArray(), name, StableHash.Of(name));
        Volatile.Write(ref Cache[slot], entry);
        return entry;
    }

    private static uint Fnv(ReadOnlySpan<byte> bytes)
    {
        var hash = 2166136261u;
        foreach (var b in bytes)
        {
            hash = (hash ^ b) * 16777619u;
        }
        return hash ^ (hash >> 16);
    }

    internal sealed record Entry(byte[] Utf8, string Name, uint Hash);
}
