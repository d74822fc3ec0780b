namespace Coord.Actors.Txns;

/// <summary>
/// Txn type ids. These are ZooKeeper's numbers and are persisted in the journal: never renumber
/// (frozen by <c>TxnCodecSpecs</c>).
/// </summary>
public enum TxnType
{
    Error = -1,
    CreateSession = -10,
    CloseSession = -11,
    Create = 1,
    Delete = 2,
    SetData = 5,
    SetAcl = 7,
    Check = 13,
    Multi = 14,
    CreateContainer = 19,
    DeleteContainer = 20,
    CreateTtl = 21,
}
