from cloudy_deploy.cli import main

main()
