return 0; // placeholder: the grid CLI is being written
