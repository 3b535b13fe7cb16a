from pipeline.cli import cli

# Guarded: normalization workers are spawned processes, which import the main module again.
if __name__ == "__main__":
    cli()
