using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Text;

namespace Atlas.Actors.Messaging.Tcp;

/// <summary>What a preamble says: a greeting from the connecting side, or the accepting side's answer.</summary>
internal enum PreambleKind : byte
{
    /// <summary>A silo connects; the identity is its address, the text the silo (with generation) it wants.</summary>
    SiloHello = 1,

    /// <summary>A client connects; the identity is its client id, the text the silo (with generation) it wants.</summary>
    ClientHello = 2,

    /// <summary>The silo accepts; the identity is its address.</summary>
    Accepted = 3,

    /// <summary>The silo refuses; the identity is its address (if it has one), the text says why.</summary>
    Refused = 4,
}

/// <summary>
/// The first bytes each side sends, before any frame:
/// <c>"ATLS"</c>, protocol version (uint16 LE), body length (uint16 LE), then the body: kind (byte) and three
/// strings (uint16 LE length + UTF-8): cluster id, identity, text. The header's layout never changes between
/// versions, so a peer speaking another version is recognised and refused with a reason rather than misread.
/// </summary>
internal readonly record struct Preamble(ushort Version, PreambleKind Kind, string ClusterId, string Identity, string Text)
{
    public const ushort CurrentVersion = 1;
    public const int HeaderSize = 8;
    public const int MaxBodySize = 4096;
    public static ReadOnlySpan<byte> Magic => "ATLS"u8;

    public static Preamble Hello(ConnectionIdentity local, SiloAddress target) => new(
        CurrentVersion,
        local.IsClient ? PreambleKind.ClientHello : PreambleKind.SiloHello,
        local.ClusterId,
        local.IsClient ? local.ClientId ?? "" : local.Silo!.ToString(),
        target.ToString());

    public static Preamble Accept(ConnectionIdentity local) =>
        new(CurrentVersion, PreambleKind.Accepted, local.ClusterId, local.Silo?.ToString() ?? "", "");

    public static Preamble Refuse(ConnectionIdentity local, string reason) =>
        new(CurrentVersion, PreambleKind.Refused, local.ClusterId, local.Silo?.ToString() ?? "", reason);

    public byte[] Encode()
    {
        var body = new ArrayBufferWriter<byte>(128);
        body.GetSpan(1)[0] = (byte)Kind;
        body.Advance(1);
        WriteString(body, ClusterId);
        WriteString(body, Identity);
        WriteString(body, Text);
        if (body.WrittenCount > MaxBodySize)
        {
            throw new ArgumentException($"A preamble body is limited to {MaxBodySize} bytes; this one is {body.WrittenCount}.");
        }
        var bytes = new byte[HeaderSize + body.WrittenCount];
        Magic.CopyTo(bytes);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(4), Version);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(6), (ushort)body.WrittenCount);
        body.WrittenSpan.CopyTo(bytes.AsSpan(HeaderSize));
        return bytes;
    }

    /// <summary>
    /// Reads one preamble, leaving whatever follows it in <paramref name="input"/>. Throws
    /// <see cref="InvalidDataException"/> when the bytes are not a preamble and <see cref="EndOfStreamException"/>
    /// when the connection ends first.
    /// </summary>
    public static async ValueTask<Preamble> ReadAsync(PipeReader input, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            Preamble? preamble;
            try
            {
                preamble = TryParse(ref buffer);
            }
            catch
            {
                input.AdvanceTo(buffer.Start);
                throw;
            }
            if (preamble is { } parsed)
            {
                input.AdvanceTo(buffer.Start);
                return parsed;
            }
            input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted || result.IsCanceled)
            {
                throw new EndOfStreamException(result.Buffer.IsEmpty
                    ? "The connection closed before a preamble arrived."
                    : $"The connection closed after {result.Buffer.Length} byte(s) of an incomplete preamble.");
            }
        }
    }

    /// <summary>Parses a preamble at the start of <paramref name="buffer"/>, or returns null if more bytes are needed.</summary>
    public static Preamble? TryParse(ref ReadOnlySequence<byte> buffer)
    {
        Span<byte> header = stackalloc byte[HeaderSize];
        var available = (int)Math.Min(buffer.Length, HeaderSize);
        buffer.Slice(0, available).CopyTo(header);
        var magicBytes = Math.Min(available, Magic.Length);
        if (!header[..magicBytes].SequenceEqual(Magic[..magicBytes]))
        {
            throw new InvalidDataException($"Not an Atlas connection: it began with 0x{Convert.ToHexString(header[..magicBytes])} instead of the preamble.");
        }
        if (available < HeaderSize)
        {
            return null;
        }
        var version = BinaryPrimitives.ReadUInt16LittleEndian(header[4..]);
        var bodyLength = BinaryPrimitives.ReadUInt16LittleEndian(header[6..]);
        if (bodyLength > MaxBodySize)
        {
            throw new InvalidDataException($"A preamble of {bodyLength} bytes is over the {MaxBodySize}-byte limit.");
        }
        if (buffer.Length < HeaderSize + bodyLength)
        {
            return null;
        }
        var body = buffer.Slice(HeaderSize, bodyLength).ToArray();
        buffer = buffer.Slice(HeaderSize + bodyLength);
        if (version != CurrentVersion)
        {
            // Only the header is understood across versions; the caller refuses with this version in the reason.
            return new Preamble(version, 0, "", "", "");
        }
        var reader = new SpanReader(body);
        var kind = (PreambleKind)reader.ReadByte();
        if (kind is < PreambleKind.SiloHello or > PreambleKind.Refused)
        {
            throw new InvalidDataException($"Unknown preamble kind {(byte)kind}.");
        }
        var preamble = new Preamble(version, kind, reader.ReadString(), reader.ReadString(), reader.ReadString());
        if (!reader.AtEnd)
        {
            throw new InvalidDataException("The preamble has trailing bytes.");
        }
        return preamble;
    }

    private static void WriteString(ArrayBufferWriter<byte> output, string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        if (length > ushort.MaxValue)
        {
            throw new ArgumentException("A preamble string is limited to 65535 bytes.");
        }
        var span = output.GetSpan(2 + length);
        BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)length);
        Encoding.UTF8.GetBytes(value, span[2..]);
        output.Advance(2 + length);
    }

    private ref struct SpanReader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _position;

        public readonly bool AtEnd => _position == _data.Length;

        public byte ReadByte()
        {
            Ensure(1);
            return _data[_position++];
        }

        public string ReadString()
        {
            Ensure(2);
            var length = BinaryPrimitives.ReadUInt16LittleEndian(_data[_position..]);
            _position += 2;
            Ensure(length);
            var value = Encoding.UTF8.GetString(_data.Slice(_position, length));
            _position += length;
            return value;
        }

        private readonly void Ensure(int count)
        {
            if (count > _data.Length - _position)
            {
                throw new InvalidDataException("The preamble ended inside a field.");
            }
        }
    }
}
