import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { UserProfile } from './user-profile.entity';

export interface ProfilePage {
  total: number;
  items: UserProfile[];
}

@Injectable()
export class ProfilesService {
  constructor(@InjectRepository(UserProfile) private readonly profiles: Repository<UserProfile>) {}

  async findOne(userId: string): Promise<UserProfile> {
    const profile = await this.profiles.findOneBy({ userId });
    if (!profile) throw new NotFoundException(`No profile for user ${userId} (yet).`);
    return profile;
  }

  async list(offset: number, limit: number): Promise<ProfilePage> {
    const [items, total] = await this.profiles.findAndCount({
      order: { registeredAt: 'ASC', userId: 'ASC' },
      skip: offset,
      take: limit,
    });
    return { total, items };
  }
}
