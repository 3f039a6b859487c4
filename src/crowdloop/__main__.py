from crowdloop.cli.main import main

main()
