using Coord.Protocol;

namespace Coord.Client.Specs;

/// <summary>
/// Pins every wire enum to ZooKeeper's numbers (wire-protocol.md §6, §7.5, §7.6, §8, §9, §11). Each table must
/// list every member: adding a member without pinning its value here fails <c>every_member_is_pinned</c>.
/// </summary>
public sealed class FrozenValuesSpecs
{
    private static readonly (OpCode, int)[] OpCodes =
    [
        (OpCode.Notification, 0), (OpCode.Create, 1), (OpCode.Delete, 2), (OpCode.Exists, 3), (OpCode.GetData, 4),
        (OpCode.SetData, 5), (OpCode.GetAcl, 6), (OpCode.SetAcl, 7), (OpCode.GetChildren, 8), (OpCode.Sync, 9),
        (OpCode.Ping, 11), (OpCode.GetChildren2, 12), (OpCode.Check, 13), (OpCode.Multi, 14), (OpCode.Create2, 15),
        (OpCode.Reconfig, 16), (OpCode.CheckWatches, 17), (OpCode.RemoveWatches, 18), (OpCode.CreateContainer, 19),
        (OpCode.DeleteContainer, 20), (OpCode.CreateTtl, 21), (OpCode.MultiRead, 22), (OpCode.Auth, 100),
        (OpCode.SetWatches, 101), (OpCode.Sasl, 102), (OpCode.GetEphemerals, 103), (OpCode.GetAllChildrenNumber, 104),
        (OpCode.SetWatches2, 105), (OpCode.AddWatch, 106), (OpCode.WhoAmI, 107), (OpCode.CreateSession, -10),
        (OpCode.CloseSession, -11), (OpCode.Error, -1),
    ];

    private static readonly (ErrorCode, int)[] ErrorCodes =
    [
        (ErrorCode.Ok, 0), (ErrorCode.SystemError, -1), (ErrorCode.RuntimeInconsistency, -2),
        (ErrorCode.DataInconsistency, -3), (ErrorCode.ConnectionLoss, -4), (ErrorCode.MarshallingError, -5),
        (ErrorCode.Unimplemented, -6), (ErrorCode.OperationTimeout, -7), (ErrorCode.BadArguments, -8),
        (ErrorCode.UnknownSession, -12), (ErrorCode.NewConfigNoQuorum, -13), (ErrorCode.ReconfigInProgress, -14),
        (ErrorCode.ApiError, -100), (ErrorCode.NoNode, -101), (ErrorCode.NoAuth, -102), (ErrorCode.BadVersion, -103),
        (ErrorCode.NoChildrenForEphemerals, -108), (ErrorCode.NodeExists, -110), (ErrorCode.NotEmpty, -111),
        (ErrorCode.SessionExpired, -112), (ErrorCode.InvalidCallback, -113), (ErrorCode.InvalidAcl, -114),
        (ErrorCode.AuthFailed, -115), (ErrorCode.SessionMoved, -118), (ErrorCode.NotReadOnly, -119),
        (ErrorCode.EphemeralOnLocalSession, -120), (ErrorCode.NoWatcher, -121), (ErrorCode.RequestTimeout, -122),
        (ErrorCode.ReconfigDisabled, -123), (ErrorCode.SessionClosedRequireSaslAuth, -124),
        (ErrorCode.QuotaExceeded, -125), (ErrorCode.ThrottledOp, -127),
    ];

    private static readonly (EventType, int)[] EventTypes =
    [
        (EventType.None, -1), (EventType.NodeCreated, 1), (EventType.NodeDeleted, 2), (EventType.NodeDataChanged, 3),
        (EventType.NodeChildrenChanged, 4), (EventType.DataWatchRemoved, 5), (EventType.ChildWatchRemoved, 6),
        (EventType.PersistentWatchRemoved, 7),
    ];

    private static readonly (KeeperState, int)[] KeeperStates =
    [
        (KeeperState.Unknown, -1), (KeeperState.Disconnected, 0), (KeeperState.NoSyncConnected, 1),
        (KeeperState.SyncConnected, 3), (KeeperState.AuthFailed, 4), (KeeperState.ConnectedReadOnly, 5),
        (KeeperState.SaslAuthenticated, 6), (KeeperState.Expired, -112), (KeeperState.Closed, 7),
    ];

    private static readonly (WatcherType, int)[] WatcherTypes =
    [
        (WatcherType.Children, 1), (WatcherType.Data, 2), (WatcherType.Any, 3), (WatcherType.Persistent, 4),
        (WatcherType.PersistentRecursive, 5),
    ];

    private static readonly (AddWatchMode, int)[] AddWatchModes =
        [(AddWatchMode.Persistent, 0), (AddWatchMode.PersistentRecursive, 1)];

    private static readonly (CreateMode, int)[] CreateModesPinned =
    [
        (CreateMode.Persistent, 0), (CreateMode.Ephemeral, 1), (CreateMode.PersistentSequential, 2),
        (CreateMode.EphemeralSequential, 3), (CreateMode.Container, 4), (CreateMode.PersistentWithTtl, 5),
        (CreateMode.PersistentSequentialWithTtl, 6),
    ];

    private static readonly (Perms, int)[] PermsPinned =
    [
        (Perms.None, 0), (Perms.Read, 1), (Perms.Write, 2), (Perms.Create, 4), (Perms.Delete, 8), (Perms.Admin, 16),
        (Perms.All, 31),
    ];

    [Fact] public void opcodes_match_zookeeper() => AssertPinned(OpCodes);
    [Fact] public void error_codes_match_zookeeper() => AssertPinned(ErrorCodes);
    [Fact] public void event_types_match_zookeeper() => AssertPinned(EventTypes);
    [Fact] public void keeper_states_match_zookeeper() => AssertPinned(KeeperStates);
    [Fact] public void watcher_types_match_zookeeper() => AssertPinned(WatcherTypes);
    [Fact] public void add_watch_modes_match_zookeeper() => AssertPinned(AddWatchModes);
    [Fact] public void create_modes_match_zookeeper() => AssertPinned(CreateModesPinned);
    [Fact] public void perms_match_zookeeper() => AssertPinned(PermsPinned);

    [Fact]
    public void perms_all_is_the_union_of_the_five_bits() =>
        Assert.Equal(Perms.All, Perms.Read | Perms.Write | Perms.Create | Perms.Delete | Perms.Admin);

    [Fact]
    public void special_xids_match_client_cnxn()
    {
        Assert.Equal(-1, Xids.Notification);
        Assert.Equal(-2, Xids.Ping);
        Assert.Equal(-4, Xids.Auth);
        Assert.Equal(-8, Xids.SetWatches);
    }

    [Fact]
    public void create_mode_flags_outside_zero_to_six_are_invalid()
    {
        for (int flag = 0; flag <= 6; flag++) Assert.True(CreateModes.IsValid(flag), $"flag {flag}");
        foreach (int flag in new[] { -1, 7, 8, int.MaxValue, int.MinValue }) Assert.False(CreateModes.IsValid(flag), $"flag {flag}");
    }

    /// <summary>The §9 table: which modes are ephemeral, sequential, TTL or container.</summary>
    [Theory]
    [InlineData(CreateMode.Persistent, false, false, false, false)]
    [InlineData(CreateMode.Ephemeral, true, false, false, false)]
    [InlineData(CreateMode.PersistentSequential, false, true, false, false)]
    [InlineData(CreateMode.EphemeralSequential, true, true, false, false)]
    [InlineData(CreateMode.Container, false, false, false, true)]
    [InlineData(CreateMode.PersistentWithTtl, false, false, true, false)]
    [InlineData(CreateMode.PersistentSequentialWithTtl, false, true, true, false)]
    public void create_mode_properties_follow_the_flag_table(CreateMode mode, bool ephemeral, bool sequential, bool ttl, bool container)
    {
        Assert.Equal(ephemeral, CreateModes.IsEphemeral(mode));
        Assert.Equal(sequential, CreateModes.IsSequential(mode));
        Assert.Equal(ttl, CreateModes.IsTtl(mode));
        Assert.Equal(container, CreateModes.IsContainer(mode));
    }

    [Fact]
    public void every_member_is_pinned()
    {
        AssertComplete(OpCodes);
        AssertComplete(ErrorCodes);
        AssertComplete(EventTypes);
        AssertComplete(KeeperStates);
        AssertComplete(WatcherTypes);
        AssertComplete(AddWatchModes);
        AssertComplete(CreateModesPinned);
        AssertComplete(PermsPinned);
    }

    private static void AssertPinned<T>((T Member, int Value)[] table) where T : struct, Enum
    {
        foreach (var (member, value) in table)
            Assert.True(Convert.ToInt32(member, System.Globalization.CultureInfo.InvariantCulture) == value,
                $"{typeof(T).Name}.{member} must be {value} on the wire");
        Assert.Equal(table.Length, table.Select(t => t.Value).Distinct().Count());
    }

    /// <summary>Compares names, not values: two members sharing a number would otherwise hide one.</summary>
    private static void AssertComplete<T>((T Member, int Value)[] table) where T : struct, Enum
    {
        var declared = Enum.GetNames<T>().Order().ToArray();
        var pinned = table.Select(t => t.Member.ToString()).Order().ToArray();
        Assert.True(declared.SequenceEqual(pinned),
            $"{typeof(T).Name}: declared [{string.Join(", ", declared.Except(pinned))}] not pinned; " +
            $"pinned [{string.Join(", ", pinned.Except(declared))}] not declared");
    }
}
