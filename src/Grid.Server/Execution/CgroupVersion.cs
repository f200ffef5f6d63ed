namespace Grid.Server.Execution;

public enum CgroupVersion { None, V1, V2 }
