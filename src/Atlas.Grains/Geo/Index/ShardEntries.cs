using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Atlas.Grains.Geo.Index;

/// <summary>
/// The entries of one index shard, unique by id, kept in the buckets of a fine latitude/longitude grid so that a
/// nearest query looks only at the buckets that the bounding box of its circle touches, instead of at every entry.
/// </summary>
/// <remarks>
/// <para>
/// Exact: a query returns what <see cref="NearestSearch.Nearest"/> returns over all entries — the same entries, the same
/// distances to the last bit (<see cref="GeoMath.DistanceMeters(double, double, double, double, double, double)"/>),
/// ordered by distance then id. Skipping is safe because every point within the radius lies in the circle's bounding
/// box (± r/R in latitude, ± asin(sin(r/R) / cos(lat)) in longitude, all longitudes when the circle nearly reaches a
/// pole, both padded against rounding; longitudes compared around the antimeridian), and each bucket knows the box of
/// the entries it holds, whatever their position (a bucket's box grows with its entries and resets when it empties).
/// </para>
/// <para>
/// Per query: a bucket test for each non-empty bucket, a box test for each entry of the touched buckets, the haversine
/// only for entries inside the box, and a bounded max-heap of the k best (no sort of everything, no dictionary).
/// </para>
/// </remarks>
internal sealed class ShardEntries
{
    private const double PaddingDegrees = 1e-9;

    private readonly double _bucketSize;
    private readonly Dictionary<string, Slot> _slots = new(StringComparer.Ordinal);
    private readonly Dictionary<long, Bucket> _bucketsByKey = [];
    private readonly List<Bucket> _buckets = [];

    /// <param name="bucketSizeDegrees">The side of a bucket; a tenth of an index cell keeps about ten drivers per bucket at city density.</param>
    public ShardEntries(double bucketSizeDegrees)
    {
        if (!(bucketSizeDegrees is > 0 and <= 180))
        {
            throw new ArgumentOutOfRangeException(nameof(bucketSizeDegrees), bucketSizeDegrees, "A bucket must be more than 0° and at most 180° wide.");
        }
        _bucketSize = bucketSizeDegrees;
    }

    public int Count => _slots.Count;

    /// <summary>Adds or moves an entry, unless the shard holds a newer one for its id; false if it was older.</summary>
    public bool Set(GeoCandidate candidate)
    {
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_slots, candidate.Id, out var exists);
        if (exists && slot.Bucket.Entries[slot.Index].SeenTicks > candidate.LastSeen.UtcTicks)
        {
            return false; // an older position arrived late
        }
        var key = BucketKey(candidate.Location);
        var entry = new Entry(candidate);
        if (exists)
        {
            var bucket = slot.Bucket;
            if (bucket.Key == key)
            {
                bucket.Replace(slot.Index, entry);
                return true;
            }
            // The returned slot reference stays valid: the moved entry's slot is updated in place, nothing is added.
            RemoveFromBucket(bucket, slot.Index);
        }
        var target = GetOrAddBucket(key);
        slot = new Slot(target, target.Add(entry));
        return true;
    }

    public bool Remove(string id)
    {
        if (!_slots.Remove(id, out var slot))
        {
            return false;
        }
        RemoveFromBucket(slot.Bucket, slot.Index);
        return true;
    }

    /// <summary>Removes the entries last seen before <paramref name="cutoff"/>; returns their ids.</summary>
    public List<string> RemoveOlderThan(DateTimeOffset cutoff)
    {
        var ticks = cutoff.UtcTicks;
        var expired = new List<string>();
        foreach (var bucket in _buckets)
        {
            for (var i = 0; i < bucket.Count; i++)
            {
                if (bucket.Entries[i].SeenTicks < ticks)
                {
                    expired.Add(bucket.Entries[i].Id);
                }
            }
        }
        foreach (var id in expired)
        {
            Remove(id);
        }
        return expired;
    }

    /// <summary>
    /// The <paramref name="k"/> nearest entries seen at or after <paramref name="freshSince"/> within the radius
    /// (inclusive), by distance then id: exactly <see cref="NearestSearch.Nearest"/> over all entries.
    /// </summary>
    public ImmutableArray<GeoNeighbor> Nearest(GeoPoint center, double radiusMeters, int k, DateTimeOffset freshSince)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (!double.IsFinite(radiusMeters) || radiusMeters < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(radiusMeters), radiusMeters, "Radius must be a finite, non-negative number of metres.");
        }
        if (_slots.Count == 0)
        {
            return [];
        }
        var box = new SearchBox(center, radiusMeters);
        var lat1 = GeoMath.ToRadians(center.Latitude);
        var cosLat1 = Math.Cos(lat1);
        var lon1 = center.Longitude;
        var freshTicks = freshSince.UtcTicks;
        var best = new TopK(Math.Min(k, _slots.Count));
        foreach (var bucket in _buckets)
        {
            if (!box.Touches(bucket))
            {
                continue;
            }
            var entries = bucket.Entries;
            for (var i = 0; i < bucket.Count; i++)
            {
                ref readonly var entry = ref entries[i];
                if (entry.SeenTicks < freshTicks || !box.Contains(entry.Latitude, entry.Longitude))
                {
                    continue;
                }
                var distance = GeoMath.DistanceMeters(lat1, cosLat1, lon1, entry.LatitudeRadians, entry.CosLatitude, entry.Longitude);
                if (distance <= radiusMeters)
                {
                    best.Offer(distance, in entry);
                }
            }
        }
        return best.ToSortedArray();
    }

    private long BucketKey(GeoPoint point)
    {
        // Rows and columns of a global grid; a bucket's box, not its nominal bounds, decides what a query looks at.
        var row = (long)Math.Floor((point.Latitude - GeoPoint.MinLatitude) / _bucketSize);
        var column = (long)Math.Floor((point.Longitude - GeoPoint.MinLongitude) / _bucketSize);
        return (row << 32) | column;
    }

    private Bucket GetOrAddBucket(long key)
    {
        ref var bucket = ref CollectionsMarshal.GetValueRefOrAddDefault(_bucketsByKey, key, out var exists);
        if (!exists)
        {
            bucket = new Bucket(key) { ListIndex = _buckets.Count };
            _buckets.Add(bucket);
        }
        return bucket!;
    }

    private void RemoveFromBucket(Bucket bucket, int index)
    {
        if (bucket.RemoveAt(index) is { } moved)
        {
            CollectionsMarshal.GetValueRefOrNullRef(_slots, moved).Index = index;
        }
        if (bucket.Count == 0)
        {
            _bucketsByKey.Remove(bucket.Key);
            var last = _buckets[^1];
            _buckets[bucket.ListIndex] = last;
            last.ListIndex = bucket.ListIndex;
            _buckets.RemoveAt(_buckets.Count - 1);
        }
    }

    private record struct Slot(Bucket Bucket, int Index);

    /// <summary>An entry with what the distance needs of it computed once.</summary>
    private readonly struct Entry(GeoCandidate candidate)
    {
        public readonly string Id = candidate.Id;
        public readonly double Latitude = candidate.Location.Latitude;
        public readonly double Longitude = candidate.Location.Longitude;
        public readonly double LatitudeRadians = GeoMath.ToRadians(candidate.Location.Latitude);
        public readonly double CosLatitude = Math.Cos(GeoMath.ToRadians(candidate.Location.Latitude));
        public readonly long SeenTicks = candidate.LastSeen.UtcTicks;
        public readonly GeoPoint Location = candidate.Location;
        public readonly DateTimeOffset LastSeen = candidate.LastSeen;
    }

    private sealed class Bucket(long key)
    {
        public readonly long Key = key;
        public Entry[] Entries = new Entry[8];
        public int Count;
        public int ListIndex;
        public double MinLatitude = double.PositiveInfinity;
        public double MaxLatitude = double.NegativeInfinity;
        public double MinLongitude = double.PositiveInfinity;
        public double MaxLongitude = double.NegativeInfinity;

        public int Add(in Entry entry)
        {
            if (Count == Entries.Length)
            {
                Array.Resize(ref Entries, Count * 2);
            }
            Entries[Count] = entry;
            Grow(entry);
            return Count++;
        }

        public void Replace(int index, in Entry entry)
        {
            Entries[index] = entry;
            Grow(entry);
        }

        /// <summary>Removes by moving the last entry into the gap; returns the id of the entry moved, if any.</summary>
        public string? RemoveAt(int index)
        {
            var last = --Count;
            string? moved = null;
            if (index != last)
            {
                Entries[index] = Entries[last];
                moved = Entries[index].Id;
            }
            Entries[last] = default;
            if (Count == 0)
            {
                MinLatitude = MinLongitude = double.PositiveInfinity;
                MaxLatitude = MaxLongitude = double.NegativeInfinity;
            }
            return moved;
        }

        private void Grow(in Entry entry)
        {
            MinLatitude = Math.Min(MinLatitude, entry.Latitude);
            MaxLatitude = Math.Max(MaxLatitude, entry.Latitude);
            MinLongitude = Math.Min(MinLongitude, entry.Longitude);
            MaxLongitude = Math.Max(MaxLongitude, entry.Longitude);
        }
    }

    /// <summary>The latitude/longitude bounding box of a search circle, padded, with longitudes compared around the antimeridian.</summary>
    private readonly struct SearchBox
    {
        private readonly double _minLatitude;
        private readonly double _maxLatitude;
        private readonly double _centerLongitude;
        private readonly double _longitudeSpan; // 180 or more: every longitude

        public SearchBox(GeoPoint center, double radiusMeters)
        {
            var angularRadius = Math.Min(radiusMeters / GeoMath.EarthRadiusMeters, Math.PI);
            var latitudeSpan = GeoMath.ToDegrees(angularRadius) + PaddingDegrees;
            _minLatitude = center.Latitude - latitudeSpan;
            _maxLatitude = center.Latitude + latitudeSpan;
            _centerLongitude = center.Longitude;
            _longitudeSpan = 180;
            if (_minLatitude > GeoPoint.MinLatitude && _maxLatitude < GeoPoint.MaxLatitude)
            {
                // No pole inside. Near a ratio of 1 the arcsine is ill-conditioned: a circle that close to touching the
                // pole takes every longitude rather than trust the last bits.
                var ratio = Math.Sin(angularRadius) / Math.Cos(GeoMath.ToRadians(center.Latitude));
                if (ratio < 1 - 1e-9)
                {
                    _longitudeSpan = (GeoMath.ToDegrees(Math.Asin(ratio)) * (1 + 1e-12)) + PaddingDegrees;
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool Contains(double latitude, double longitude) =>
            latitude >= _minLatitude && latitude <= _maxLatitude && (_longitudeSpan >= 180 || LongitudeGap(longitude) <= _longitudeSpan);

        public bool Touches(Bucket bucket)
        {
            if (bucket.MaxLatitude < _minLatitude || bucket.MinLatitude > _maxLatitude)
            {
                return false;
            }
            if (_longitudeSpan >= 180 || (_centerLongitude >= bucket.MinLongitude && _centerLongitude <= bucket.MaxLongitude))
            {
                return true;
            }
            // A bucket spans far less than 180°, so its nearest longitude to the centre is one of its two edges.
            return Math.Min(LongitudeGap(bucket.MinLongitude), LongitudeGap(bucket.MaxLongitude)) <= _longitudeSpan;
        }

        /// <summary>Degrees between a longitude and the centre's, the short way around.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private double LongitudeGap(double longitude)
        {
            var gap = Math.Abs(longitude - _centerLongitude);
            return gap > 180 ? 360 - gap : gap;
        }
    }

    /// <summary>The k best (distance, then id) seen so far: a max-heap whose root is the worst of them.</summary>
    private struct TopK(int k)
    {
        private readonly GeoNeighbor[] _heap = new GeoNeighbor[k];
        private int _count;

        public void Offer(double distance, in Entry entry)
        {
            if (_count == _heap.Length)
            {
                ref readonly var worst = ref _heap[0];
                if (distance > worst.DistanceMeters || (distance == worst.DistanceMeters && string.CompareOrdinal(entry.Id, worst.Id) >= 0))
                {
                    return;
                }
                _heap[0] = new GeoNeighbor(entry.Id, entry.Location, entry.LastSeen, distance);
                SiftDown(0);
                return;
            }
            _heap[_count] = new GeoNeighbor(entry.Id, entry.Location, entry.LastSeen, distance);
            SiftUp(_count++);
        }

        public readonly ImmutableArray<GeoNeighbor> ToSortedArray()
        {
            var sorted = _count == _heap.Length ? _heap : _heap[.._count];
            Array.Sort(sorted, static (a, b) => Worse(a, b) ? 1 : Worse(b, a) ? -1 : 0);
            return ImmutableCollectionsMarshal.AsImmutableArray(sorted);
        }

        private static bool Worse(in GeoNeighbor a, in GeoNeighbor b) =>
            a.DistanceMeters > b.DistanceMeters || (a.DistanceMeters == b.DistanceMeters && string.CompareOrdinal(a.Id, b.Id) > 0);

        private readonly void SiftUp(int index)
        {
            while (index > 0)
            {
                var parent = (index - 1) / 2;
                if (!Worse(_heap[index], _heap[parent]))
                {
                    return;
                }
                (_heap[index], _heap[parent]) = (_heap[parent], _heap[index]);
                index = parent;
            }
        }

        private readonly void SiftDown(int index)
        {
            while (true)
            {
                var worst = index;
                var left = (2 * index) + 1;
                var right = left + 1;
                if (left < _count && Worse(_heap[left], _heap[worst]))
                {
                    worst = left;
                }
                if (right < _count && Worse(_heap[right], _heap[worst]))
                {
                    worst = right;
                }
                if (worst == index)
                {
                    return;
                }
                (_heap[index], _heap[worst]) = (_heap[worst], _heap[index]);
                index = worst;
            }
        }
    }
}
