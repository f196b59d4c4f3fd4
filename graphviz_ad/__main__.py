"""`python -m graphviz_ad`: the same command line as `graphviz-ad`."""

from graphviz_ad_cli.main import main

if __name__ == "__main__":
    main(prog_name="graphviz-ad")
