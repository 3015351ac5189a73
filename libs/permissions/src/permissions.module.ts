import { Module } from '@nestjs/common';
import { removeStaleTempFiles } from '@app/common';
import { ANONYMOUS_PROFILE } from './anonymous-profile';
import { loadAnonymousProfile, loadRolesFile } from './permissions-files';
import { PermissionsConfig, permissionsConfig } from './permissions.config';
import { RolesStore } from './roles.store';

/**
 * The roles configuration (file + memory) and the anonymous profile, both read and checked at start-up: a wrong file
 * stops the service with a message naming it. Needs `permissionsConfig` in the ConfigModule's load list.
 */
@Module({
  providers: [
    {
      provide: RolesStore,
      inject: [permissionsConfig.KEY],
      useFactory: (config: PermissionsConfig) => {
        // Temporary files of writes killed mid-way (a crash, SIGKILL, a full disk) are litter: never the roles file.
        removeStaleTempFiles(config.permissionsFilePath);
        return new RolesStore(config.permissionsFilePath, loadRolesFile(config));
      },
    },
    {
      provide: ANONYMOUS_PROFILE,
      inject: [permissionsConfig.KEY],
      useFactory: (config: PermissionsConfig) => loadAnonymousProfile(config),
    },
  ],
  exports: [RolesStore, ANONYMOUS_PROFILE],
})
export class PermissionsModule {}
