using Atlas.Actors.Membership;

namespace Atlas.Actors.Placement;

/// <summary>
/// Decides which silo a grain lives on from the current membership view (consistent hashing). No directory:
/// silos and clients agree as soon as they share a view; while views differ, a silo that receives a request for
/// a grain it does not own forwards it, and ETag-fenced storage keeps a brief duplicate activation from
/// overwriting newer state.
/// </summary>
internal sealed class PlacementService
{
    private volatile ConsistentHashRing _ring = new([]);
    private volatile MembershipView _view = MembershipView.Empty;
    private readonly HashSet<SiloAddress> _excluded = [];

    public MembershipView View => _view;

    public ConsistentHashRing Ring => _ring;

    /// <summary>Raised after the view changes.</summary>
    public event Action<MembershipView>? ViewChanged;

    public SiloAddress? OwnerOf(GrainId grainId) => _ring.Owner(grainId.PlacementHash);

    /// <summary>
    /// Installs the view read from the table; returns whether it changed. Each reader reads the table one read at a time,
    /// so a lower version than the last one means the table was reset (e.g. a store restarted without persistence).
    /// </summary>
    public bool Update(MembershipView view)
    {
        lock (this)
        {
            if (view.Version == _view.Version && SameSilos(view, _view))
            {
                return false;
            }
            _ring = new ConsistentHashRing(view.ActiveSilos.Where(s => !_excluded.Contains(s)).ToArray());
            _view = view;
        }
        ViewChanged?.Invoke(view);
        return true;
    }

    /// <summary>Removes a silo from the ring at once and for good (it is leaving), whatever later views say.</summary>
    public void Exclude(SiloAddress silo)
    {
        lock (this)
        {
            _excluded.Add(silo);
            _ring = new ConsistentHashRing(_ring.Silos.Where(s => s != silo).ToArray());
        }
        ViewChanged?.Invoke(_view);
    }

    private static bool SameSilos(MembershipView a, MembershipView b) => a.ActiveSilos.SequenceEqual(b.ActiveSilos);
}
